--[[
set-checkpoint: an operator moves a shard's checkpoint (`mqkit checkpoint set`), forwards or
backwards (to re-read records), but not while a live consumer holds the shard unless forced.

KEYS[1]  lease hash of the shard ({owner, token, fence, expiresAt})
KEYS[2]  checkpoint hash of the shard ({position, fence, updatedAt, pending…})
ARGV[1]  position: a sequence number (decimal string) or 'SHARD_END'
ARGV[2]  '1' to write even while a live lease is held, else '0'

Returns  {1, previousPosition}  written ('' when there was none)
         {0, owner}             refused: `owner` holds a live lease (Redis clock)

Invariant: without force, the write and the liveness check are one atomic step, so a consumer
cannot take the lease between them. The crash counter of the old position is cleared, as a
consumer's own checkpoint does.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = redis.call('HMGET', KEYS[1], 'owner', 'expiresAt')
if ARGV[2] ~= '1' and lease[1] and lease[1] ~= '' and tonumber(lease[2] or '0') > now then
  return {0, lease[1]}
end
local previous = redis.call('HGET', KEYS[2], 'position') or ''
redis.call('HSET', KEYS[2], 'position', ARGV[1], 'updatedAt', now)
redis.call('HDEL', KEYS[2], 'pendingSeq', 'pendingAttempts', 'pendingCount')
return {1, previous}
