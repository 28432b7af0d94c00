-- Everything a snapshot reads, in one round trip (server/store/prefetch.py serves the store's
-- reads from it): the class's keys, its current round's (cards, reactions, authors, every
-- card's thread), the liveness of the processes holding its sockets, and a student's history.
-- KEYS: class, students, roster, sockets, current round, host cards, rotation, the student's
-- cards ('' for staff and the stage). ARGV: the names of the round, cards, reactions, authors
-- and process keys with `%s` for their part, the replies key with `%s` for round and card,
-- and how many history entries to read.
-- Returns {kind, key, value} triples: 'h' a whole hash (flat field/value list), 'f' some
-- fields of a hash (flat list), 's' a string (false when missing), 'l' a whole list, 'p' a
-- list's first entries (as many as asked).
local out = {}
local function whole(key) out[#out + 1] = {'h', key, redis.call('HGETALL', key)} end
local function str(key) out[#out + 1] = {'s', key, redis.call('GET', key)} end
for _, i in ipairs({1, 2, 3, 4, 7}) do whole(KEYS[i]) end
out[#out + 1] = {'l', KEYS[6], redis.call('LRANGE', KEYS[6], 0, -1)}
local sockets = redis.call('HVALS', KEYS[4])
local seen = {}
for _, raw in ipairs(sockets) do
  local name = string.match(cjson.decode(raw)['proc'] or '', '^(.*)|[^|]*$')
  if name and not seen[name] then
    seen[name] = true
    str(string.format(ARGV[5], name))
  end
end
local round_id = redis.call('GET', KEYS[5])
out[#out + 1] = {'s', KEYS[5], round_id}
if round_id then
  whole(string.format(ARGV[1], round_id))
  local cards = string.format(ARGV[2], round_id)
  whole(cards)
  whole(string.format(ARGV[3], round_id))
  whole(string.format(ARGV[4], round_id))
  for _, card_id in ipairs(redis.call('HKEYS', cards)) do
    local replies = string.format(ARGV[6], round_id, card_id)
    out[#out + 1] = {'l', replies, redis.call('LRANGE', replies, 0, -1)}
  end
end
if KEYS[8] ~= '' then
  local refs = redis.call('LRANGE', KEYS[8], 0, tonumber(ARGV[7]) - 1)
  out[#out + 1] = {#refs < tonumber(ARGV[7]) and 'l' or 'p', KEYS[8], refs}
  for _, ref in ipairs(refs) do
    local rid, cid = string.match(ref, '^(.-)/(.*)$')
    if rid then
      local key = string.format(ARGV[2], rid)
      out[#out + 1] = {'f', key, {cid, redis.call('HGET', key, cid)}}
    end
  end
end
return out
