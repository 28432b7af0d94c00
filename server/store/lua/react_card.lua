-- Count a reaction, in one round trip with the card lookup, on a card the reacting student may
-- see. Which cards those are is the domain's rule: it comes in ARGV[5] as JSON, a list of
-- {field: value} patterns; the card must match every field of at least one of them.
-- A counted reaction marks the card dirty (its counts are to be sent: take_dirty_reactions.lua).
-- KEYS: cards, reacted, reactions, the dirty set. ARGV: card id, student id, reaction, TTL,
-- patterns, the card's dirty-set member. Returns {'ok', card} or {'missing'}.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {'missing'} end
local card = cjson.decode(raw)
local seen = false
for _, pattern in ipairs(cjson.decode(ARGV[5])) do
  local all = true
  for field, value in pairs(pattern) do
    if card[field] ~= value then all = false end
  end
  if all then seen = true end
end
if not seen then return {'missing'} end
if redis.call('SADD', KEYS[2], ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[1] .. ':' .. ARGV[3], 1)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  redis.call('SADD', KEYS[4], ARGV[6])
  redis.call('EXPIRE', KEYS[4], 86400)
end
return {'ok', raw}
