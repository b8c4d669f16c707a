--[[
owner-prelude: the lease check shared by renew.lua, checkpoint.lua and attempt.lua. It is not a
script of its own: the loader puts it in front of each of them (defineScript's `prelude`), so the
three cannot drift apart.

KEYS[1]  lease hash of the shard
ARGV[1]  token given at acquire
ARGV[2]  fence returned by acquire

Defines  now    Redis's clock in ms (TIME: the host's clock never decides expiry)
         lease  {token, fence, expiresAt} of KEYS[1]
Returns early (the script that follows does not run):
         {0, 'not-owner'}  token or fence differ: someone acquired the lease since
         {0, 'expired'}    the lease ran out; the caller must acquire again

Invariant: only the current, unexpired holder gets past this point.
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
