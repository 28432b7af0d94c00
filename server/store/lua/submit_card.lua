-- uses: _lib.lua
-- A card, whole, in one round trip. The domain built it from what it last saw (the current
-- round id, the student's record, some fields of the class record): if Redis holds anything
-- else now, nothing is written and the values are returned ({'stale', values}) for the domain
-- to build it again. Then the guard (credential, rate limit), then the round must be open, and
-- a student posts once per round: a retry with the same client id returns the stored card.
-- KEYS: current round, students, class, the card's round, its authors, its cards, the
-- student's cards, the class index. ARGV: guard, student id, expected values (JSON list:
-- round id, student JSON, then each class field; '' for none; fewer: fewer checked), class
-- field names (JSON),
-- client id, card id, card JSON, author entry JSON, history ref, TTL.
-- Returns {'ok' | 'exists' | 'taken', card JSON}, {'closed'}, {'stale', values}, {'revoked'}
-- or {'rate_limited'}.
local seen = {redis.call('GET', KEYS[1]) or '', redis.call('HGET', KEYS[2], ARGV[2]) or ''}
for _, field in ipairs(cjson.decode(ARGV[4])) do
  seen[#seen + 1] = redis.call('HGET', KEYS[3], field) or ''
end
local expected = cjson.decode(ARGV[3])
for i = 1, #expected do
  if seen[i] ~= expected[i] then return {'stale', seen} end
end
local refused = guard_refusal(ARGV[1])
if refused then return {refused} end
if redis.call('HGET', KEYS[4], 'status') ~= '"open"' then return {'closed'} end
local mine = redis.call('HGET', KEYS[5], ARGV[2])
if mine then
  local ref = cjson.decode(mine)
  local outcome = ref['client_id'] == ARGV[5] and 'exists' or 'taken'
  return {outcome, redis.call('HGET', KEYS[6], ref['card_id'])}
end
local ttl = ARGV[10]
redis.call('HSET', KEYS[5], ARGV[2], ARGV[8])
redis.call('HSET', KEYS[6], ARGV[6], ARGV[7])
redis.call('LPUSH', KEYS[7], ARGV[9])
redis.call('SADD', KEYS[8], KEYS[7])
for i = 5, 8 do redis.call('EXPIRE', KEYS[i], ttl) end
return {'ok', ARGV[7]}
