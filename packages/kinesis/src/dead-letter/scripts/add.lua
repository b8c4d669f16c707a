--[[
add: store one dead letter and keep the store bounded.

KEYS[1]  sorted set of the queue's dead-letter ids, scored by dead-letter time (ms)
KEYS[2]  hash of the queue's dead letters: id -> JSON entry
ARGV[1]  message id
ARGV[2]  JSON entry
ARGV[3]  dead-letter time in ms (the score)
ARGV[4]  limit: the most dead letters kept; the oldest beyond it are evicted

Returns  the number of dead letters evicted to stay within the limit

Invariant: the sorted set and the hash always hold the same ids (both written, both trimmed
here); a re-dead-lettered id replaces its older entry instead of duplicating it.
]]
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if excess <= 0 then return 0 end
local evicted = redis.call('ZPOPMIN', KEYS[1], excess)
for i = 1, #evicted, 2 do
  redis.call('HDEL', KEYS[2], evicted[i])
end
return excess
