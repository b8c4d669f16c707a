--[[
attempt: count a delivery of the records right after the checkpoint, so that a record whose
handler crashes the process is recognised after restarts (the count survives the consumer).

KEYS[1]  lease hash of the shard
KEYS[2]  checkpoint hash of the shard
ARGV[1]  token given at acquire
ARGV[2]  fence returned by acquire
ARGV[3]  sequence number of the first record of the batch being delivered
ARGV[4]  number of records in the batch
ARGV[5]  delta: 1 before a delivery; -1 to give an attempt back (the delivery was cut short by a
         shutdown, which is not the record's fault)

Returns  {1, attempts}  the attempts now counted for that first record
         {0, reason}    'not-owner' | 'expired' (lease checks, as in renew.lua)

Invariant: only the live lease holder counts; the counter belongs to one sequence number and is
reset when another record heads the delivery or the checkpoint advances (checkpoint.lua).
]]
-- owner-prelude.lua runs first: `now` is Redis's clock and the caller holds the live lease.
local pending = redis.call('HMGET', KEYS[2], 'pendingSeq', 'pendingAttempts')
local attempts = 0
if pending[1] == ARGV[3] then attempts = tonumber(pending[2] or '0') end
attempts = math.max(0, attempts + tonumber(ARGV[5]))
redis.call('HSET', KEYS[2], 'pendingSeq', ARGV[3], 'pendingAttempts', attempts, 'pendingCount', ARGV[4])
return {1, attempts}
