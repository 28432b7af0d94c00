-- uses: _lib.lua
-- The spotlight, whole, in one round trip: the guard (credential), the current round, the card
-- and whether it may be spotlighted (the domain's rule, as patterns), the round's spotlight set,
-- the connection record's entry added, and the card's reaction counts read for the broadcast.
-- KEYS: the current-round key, the spotlights list, then the class's keys to keep alive.
-- ARGV: guard, card id ('' to clear the spotlight), patterns (JSON), the spotlight field's
-- value (JSON), the record entry (JSON) with ARGV[6] where the author's id goes, ARGV[6], TTL,
-- then the names of the round, cards and reactions keys with `%s` for the round id.
-- Returns {'ok', card JSON or '', {reaction, n, ...}}, {'refused', card JSON or ''} (nothing
-- changed), {'no_round'}, {'revoked'} or {'rate_limited'}.
local refused = guard_refusal(ARGV[1])
if refused then return {refused} end
local round_id = redis.call('GET', KEYS[1])
if not round_id then return {'no_round'} end
local card_id, ttl = ARGV[2], ARGV[7]
local raw, counts = '', {}
if card_id ~= '' then
  raw = redis.call('HGET', string.format(ARGV[9], round_id), card_id) or ''
  if raw == '' then return {'refused', ''} end
  local card = cjson.decode(raw)
  if not matches_one(card, cjson.decode(ARGV[3])) then return {'refused', raw} end
  local entry = ARGV[5]
  local from, to = string.find(entry, ARGV[6], 1, true)
  entry = string.sub(entry, 1, from - 1) .. cjson.encode(card['student_id'])
          .. string.sub(entry, to + 1)
  redis.call('RPUSH', KEYS[2], entry)
  redis.call('LTRIM', KEYS[2], -5000, -1)
  counts = card_counts(redis.call('HGETALL', string.format(ARGV[10], round_id)), card_id)
end
local round = string.format(ARGV[8], round_id)
redis.call('HSET', round, 'spotlight', ARGV[4])
redis.call('EXPIRE', round, ttl)
for i = 2, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
return {'ok', raw, counts}
