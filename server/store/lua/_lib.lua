-- Shared by the scripts that say `-- uses: _lib.lua` (prepended when they are loaded).

-- Token bucket in `key`: refill at `rate` tokens/ms up to `burst`; take one if `consume`.
-- Returns 1 when a token was (or, when only peeking, would be) available.
local function take_token(key, rate, burst, now, refill_ms, consume)
  local tokens = tonumber(redis.call('HGET', key, 't'))
  local ts = tonumber(redis.call('HGET', key, 'ts'))
  if tokens == nil then tokens = burst; ts = now end
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  local ok = 0
  if tokens >= 1 then
    ok = 1
    if consume then tokens = tokens - 1 end
  end
  redis.call('HSET', key, 't', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', key, refill_ms)
  return ok
end

-- The checks that ride on a write, in its round trip (`Guard` in server/store/base.py), from
-- their JSON: {"cred": credential key or "", "bucket": {"key", "rate", "burst", "now",
-- "refill"} or null}. The sender's credential must still exist, then a rate-limit token is
-- taken. Returns nil when the write may go ahead, else 'revoked' or 'rate_limited'.
local function guard_refusal(raw)
  local guard = cjson.decode(raw)
  if guard['cred'] ~= '' and redis.call('EXISTS', guard['cred']) == 0 then return 'revoked' end
  local b = guard['bucket']
  if type(b) == 'table' and
     take_token(b['key'], tonumber(b['rate']), tonumber(b['burst']), tonumber(b['now']),
                b['refill'], true) == 0 then
    return 'rate_limited'
  end
  return nil
end

-- Whether `record` has every field of one of `patterns` ({field: value} tables): how the
-- domain's rule for a record (e.g. which cards a student sees) comes in as data.
local function matches_one(record, patterns)
  for _, pattern in ipairs(patterns) do
    local all = true
    for field, value in pairs(pattern) do
      if record[field] ~= value then all = false end
    end
    if all then return true end
  end
  return false
end


-- A card's counts from its round's reactions hash read whole (HGETALL: {"card:reaction", n,
-- ...}), as the flat list {reaction, n, ...} the broadcast sends.
local function card_counts(all, card_id)
  local prefix, counts = card_id .. ':', {}
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, #prefix) == prefix then
      counts[#counts + 1] = string.sub(all[i], #prefix + 1)
      counts[#counts + 1] = all[i + 1]
    end
  end
  return counts
end
