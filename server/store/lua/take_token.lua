-- Token bucket: refill at ARGV[1] tokens/ms up to ARGV[2]; take one if ARGV[5] == '1'.
-- Returns 1 when a token was (or, when only peeking, would be) available.
local now = tonumber(ARGV[3])
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 't'))
local ts = tonumber(redis.call('HGET', KEYS[1], 'ts'))
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local ok = 0
if tokens >= 1 then
  ok = 1
  if ARGV[5] == '1' then tokens = tokens - 1 end
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return ok
