--[[
heartbeat: record that a consumer instance is alive and read who else is.

KEYS[1]  sorted set of instances (member: instance id, score: last heartbeat in ms, Redis clock)
KEYS[2]  epoch marker of the queue's Redis data (a random string written once)
ARGV[1]  instance id
ARGV[2]  cutoffMs: an instance whose last heartbeat is older than this is dead
ARGV[3]  a fresh random epoch, written only when no marker exists

Returns  {nowMs, epoch, liveId1, liveId2, ...}  live instances in id order, this one included

Invariants: liveness is judged on Redis's clock (TIME), never a host's; dead instances are
removed from the set here, so the set never grows without bound. The epoch marker is never
overwritten: if a caller sees it change (or a new one appear), the Redis it talks to lost its
data (restarted without persistence, or failed over to an empty replica).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cutoff = tonumber(ARGV[2])
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[2], epoch)
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. tostring(now - cutoff))
redis.call('PEXPIRE', KEYS[1], cutoff * 10)
local live = redis.call('ZRANGEBYSCORE', KEYS[1], now - cutoff, '+inf')
table.sort(live)
local reply = {tostring(now), epoch}
for i = 1, #live do reply[#reply + 1] = live[i] end
return reply
