-- uses: _lib.lua
-- A rate-limit check alone: KEYS[1] the bucket; ARGV: rate (tokens/ms), burst, now (ms), the
-- bucket's expiry (ms), '1' to take a token ('0' to peek). Returns 1 when one was available.
return take_token(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4],
                  ARGV[5] == '1')
