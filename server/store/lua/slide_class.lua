-- Slide the expiry of everything a class has, credentials and join code included: its fixed
-- keys, every key in its index, the join code, the staff credentials and every seat token.
-- KEYS[1] the class record, KEYS[2] its students, KEYS[3] its index, then its other fixed keys;
-- ARGV[1] the TTL, ARGV[2] and ARGV[3] the names of the join-code and credential keys without
-- their last part (code_key(""), cred_key("")).
local ttl = ARGV[1]
local function unquote(raw) return raw and string.match(raw, '^"(.+)"$') end
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('EXPIRE', key, ttl) end
local code = unquote(redis.call('HGET', KEYS[1], 'join_code'))
if code then redis.call('EXPIRE', ARGV[2] .. code, ttl) end
for _, field in ipairs({'teacher_hash', 'cohost_hash'}) do
  local secret = unquote(redis.call('HGET', KEYS[1], field))
  if secret then redis.call('EXPIRE', ARGV[3] .. secret, ttl) end
end
for _, raw in ipairs(redis.call('HVALS', KEYS[2])) do
  local seat = cjson.decode(raw)['seat_hash']
  if seat then redis.call('EXPIRE', ARGV[3] .. seat, ttl) end
end
return 1
