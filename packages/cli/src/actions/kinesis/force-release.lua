--[[
force-release: an operator frees a shard lease, whoever holds it (`mqkit lease release`).

KEYS[1]  lease hash of one shard ({owner, token, fence, expiresAt})

Returns  {1, previousOwner}  released ('' when it was already free)
         {0, 'no-lease'}     the shard never had a lease

Invariant: the fencing counter is kept (the hash is not deleted), so the next acquire gets a
greater fence and the old holder's next renew or checkpoint is refused ('not-owner'): it stops
its shard worker instead of writing after the release.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {0, 'no-lease'}
end
local owner = redis.call('HGET', KEYS[1], 'owner') or ''
redis.call('HSET', KEYS[1], 'owner', '', 'token', '', 'expiresAt', 0)
return {1, owner}
