--[[
owners: the live owner of each shard lease, read in one round trip.

KEYS[1..n]  lease hashes of the shards ({owner, token, fence, expiresAt, acquiredAt})

Returns  {owner1, owner2, ...}  one entry per key: the owner, or '' when the lease is free or
                                expired (on Redis's clock)

Invariant: read-only; a lease counts as owned exactly when acquire.lua would refuse it, so the
rebalancer never plans to take a lease that acquire would reject for being live.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local reply = {}
for i = 1, #KEYS do
  local lease = redis.call('HMGET', KEYS[i], 'owner', 'expiresAt')
  if lease[1] and lease[1] ~= '' and tonumber(lease[2] or '0') > now then
    reply[i] = lease[1]
  else
    reply[i] = ''
  end
end
return reply
