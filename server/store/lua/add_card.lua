-- Post a card once per student per round, only while the round is open. A retry with the same
-- client id returns the stored card instead of posting twice.
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= '"open"' then return {'closed', ''} end
local mine = redis.call('HGET', KEYS[2], ARGV[1])
if mine then
  local ref = cjson.decode(mine)
  if ref['client_id'] == ARGV[2] then
    return {'exists', redis.call('HGET', KEYS[3], ref['card_id'])}
  end
  return {'taken', redis.call('HGET', KEYS[3], ref['card_id'])}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('LPUSH', KEYS[4], ARGV[6])
for i = 2, 4 do redis.call('EXPIRE', KEYS[i], ARGV[7]) end
return {'ok', ARGV[4]}
