--[[
renew: extend a lease its owner still holds.

KEYS[1]  lease hash of one shard
ARGV[1]  token given at acquire
ARGV[2]  fence returned by acquire
ARGV[3]  ttlMs: new lease duration from now (Redis clock)

Returns  {1, expiresAtMs}  renewed
         {0, reason}       reason = 'not-owner' (token or fence differ: someone acquired it since)
                                  | 'expired'   (the lease ran out; the caller must acquire again)

Invariant: a stale owner (paused past its TTL, or fenced out by a newer acquire) can never
extend a lease, so it can never hold a shard a peer may already read.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = redis.call('HMGET', KEYS[1], 'token', 'fence', 'expiresAt')
if lease[1] ~= ARGV[1] or lease[2] ~= ARGV[2] then
  return {0, 'not-owner'}
end
if tonumber(lease[3] or '0') <= now then
  return {0, 'expired'}
end
local untilMs = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'expiresAt', untilMs)
return {1, tostring(untilMs)}
