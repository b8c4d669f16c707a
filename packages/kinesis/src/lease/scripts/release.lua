--[[
release: give a lease up so that a peer can acquire it at once.

KEYS[1]  lease hash of one shard
ARGV[1]  token given at acquire
ARGV[2]  fence returned by acquire

Returns  1 released; 0 not released (token or fence differ: the lease is someone else's now)

Invariant: only the current holder can free a lease; the fencing counter is kept (the hash is
not deleted), so the next acquire still gets a greater fence.
]]
local lease = redis.call('HMGET', KEYS[1], 'token', 'fence')
if lease[1] ~= ARGV[1] or lease[2] ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'owner', '', 'token', '', 'expiresAt', 0)
return 1
