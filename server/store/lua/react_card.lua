-- uses: _lib.lua
-- A reaction, whole, in one round trip: the guard (credential, rate limit), the current round,
-- the card, whether the student may react to it (the domain's rule, as patterns: ARGV[4], JSON
-- list of {field: value}), one of each reaction per student per card, the count, and the card
-- marked dirty (its counts are to be sent: take_dirty_reactions.lua).
-- KEYS: the current-round key, the dirty set. ARGV: guard (JSON), card id, student id,
-- patterns, reaction, TTL, the names of the cards, reacted and reactions keys with `%s` for
-- the round id, and the card's dirty-set member up to the round id ("class_id|").
-- Returns {'ok', card JSON, round id}, {'missing'}, {'no_round'}, {'revoked'} or
-- {'rate_limited'} (nothing counted unless 'ok').
local refused = guard_refusal(ARGV[1])
if refused then return {refused} end
local round_id = redis.call('GET', KEYS[1])
if not round_id then return {'no_round'} end
local card_id, student_id, reaction, ttl = ARGV[2], ARGV[3], ARGV[5], ARGV[6]
local raw = redis.call('HGET', string.format(ARGV[7], round_id), card_id)
if not raw or not matches_one(cjson.decode(raw), cjson.decode(ARGV[4])) then
  return {'missing'}
end
local reacted, counts = string.format(ARGV[8], round_id), string.format(ARGV[9], round_id)
if redis.call('SADD', reacted, card_id .. ':' .. student_id .. ':' .. reaction) == 1 then
  redis.call('HINCRBY', counts, card_id .. ':' .. reaction, 1)
  redis.call('EXPIRE', reacted, ttl)
  redis.call('EXPIRE', counts, ttl)
  redis.call('SADD', KEYS[2], ARGV[10] .. round_id .. '|' .. card_id)
  redis.call('EXPIRE', KEYS[2], 86400)
end
return {'ok', raw, round_id}
