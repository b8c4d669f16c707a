--[[
acquire: take a shard lease that is free or expired.

KEYS[1]  lease hash of one shard ({owner, token, fence, expiresAt, acquiredAt})
ARGV[1]  owner: the acquiring consumer's id (for operators and events)
ARGV[2]  token: a fresh random token that every later call of this owner must present
ARGV[3]  ttlMs: lease duration in milliseconds

Returns  {1, fence, expiresAtMs}         acquired; fence is the new fencing counter
         {0, currentOwner, expiresAtMs}  held by a live lease of another owner (or of this
                                         owner under an older token)

Invariant: the fencing counter only grows (HINCRBY), once per successful acquire, so every
holder of a lease sees a fence no earlier holder had; expiry is judged on Redis's clock (TIME),
never the caller's.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner = redis.call('HGET', KEYS[1], 'owner')
local expires = tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0')
if owner and owner ~= '' and expires > now then
  return {0, owner, tostring(expires)}
end
local fence = redis.call('HINCRBY', KEYS[1], 'fence', 1)
local untilMs = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', ARGV[2], 'expiresAt', untilMs, 'acquiredAt', now)
return {1, fence, tostring(untilMs)}
