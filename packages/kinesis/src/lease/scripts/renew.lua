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
-- owner-prelude.lua runs first: `now` is Redis's clock and the caller holds the live lease.
local untilMs = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'expiresAt', untilMs)
return {1, tostring(untilMs)}
