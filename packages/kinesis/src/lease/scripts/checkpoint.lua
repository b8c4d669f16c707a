--[[
checkpoint: move a shard's checkpoint forward, only by the live lease holder.

KEYS[1]  lease hash of the shard
KEYS[2]  checkpoint hash of the shard ({position, fence, updatedAt, pendingSeq, pendingAttempts,
         pendingCount})
ARGV[1]  token given at acquire
ARGV[2]  fence returned by acquire
ARGV[3]  position: a sequence number (decimal string), or 'SHARD_END' once the shard is read to
         its end

Returns  {1, position}   stored (an equal position is an accepted no-op)
         {0, reason}     reason = 'not-owner' | 'expired' (lease checks, as in renew.lua)
                                | 'shard-end'   (the shard is already finished)
                                | 'not-forward' (position is before the stored one)

Invariants: only the current, unexpired lease holder writes; a checkpoint never moves backwards
and never overwrites 'SHARD_END'. Sequence numbers are compared as decimal integers (length
first, then digits). Advancing clears the crash counter of the record after the old position.
]]
-- owner-prelude.lua runs first: `now` is Redis's clock and the caller holds the live lease.
local current = redis.call('HGET', KEYS[2], 'position')
local target = ARGV[3]
if current == 'SHARD_END' then
  if target == 'SHARD_END' then return {1, target} end
  return {0, 'shard-end'}
end
if current and target ~= 'SHARD_END' then
  if current == target then return {1, target} end
  if #target < #current or (#target == #current and target < current) then
    return {0, 'not-forward'}
  end
end
redis.call('HSET', KEYS[2], 'position', target, 'fence', ARGV[2], 'updatedAt', now)
redis.call('HDEL', KEYS[2], 'pendingSeq', 'pendingAttempts', 'pendingCount')
return {1, target}
