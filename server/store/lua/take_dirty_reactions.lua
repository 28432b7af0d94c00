-- uses: _lib.lua
-- Take the cards whose counts are due to be sent, for every process at once: a dirty card not
-- sent by anyone within the interval (its sent key holds the time of the last send) leaves the
-- dirty set and comes back with its counts and record, read in the same atomic step, so a
-- reaction counted later makes it dirty again (nothing lost) and no two sends carry the same
-- counts. The time is the caller's (the scheduler's clock, which a test moves on); the sent key
-- expires after ten intervals only to clean up. KEYS[1] the dirty set; ARGV[1] the interval
-- (ms), ARGV[2..4] the names of the sent, reactions and cards keys with `%s` for their parts,
-- ARGV[5] now (epoch ms). Returns {dirty cards left unsent, {member, card JSON or false,
-- {reaction, n, ...}}...}.
local taken, left, counts_of = {}, 0, {}
local interval, now = tonumber(ARGV[1]), tonumber(ARGV[5])
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local class_id, round_id, card_id = string.match(member, '^([^|]*)|([^|]*)|(.*)$')
  if not card_id then
    redis.call('SREM', KEYS[1], member)
  elseif (tonumber(redis.call('GET', string.format(ARGV[2], class_id, card_id)) or '')
          or -math.huge) <= now - interval then
    redis.call('SET', string.format(ARGV[2], class_id, card_id), ARGV[5], 'PX', interval * 10)
    redis.call('SREM', KEYS[1], member)
    local rkey = string.format(ARGV[3], class_id, round_id)
    if not counts_of[rkey] then counts_of[rkey] = redis.call('HGETALL', rkey) end
    local counts = card_counts(counts_of[rkey], card_id)
    local card = redis.call('HGET', string.format(ARGV[4], class_id, round_id), card_id)
    taken[#taken + 1] = {member, card or false, counts}
  else
    left = left + 1
  end
end
return {left, taken}
