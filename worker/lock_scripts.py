"""The Lua scripts behind ``worker.locks``: each is one atomic step on the Redis server.

Every script first checks whether the key already holds the caller's own token, so a command
that redis-py re-sends after a socket timeout (the first copy may have been applied) gets the
same answer as the first copy would have had, never "somebody else holds it".
"""

from __future__ import annotations

# KEYS: tick key, epoch key.  ARGV: token, ttl ms, tick ms (epoch), skew ms, misfire grace ms.
# Returns {code, detail, server now ms}; codes in ``worker.locks.ClaimResult``.
CLAIM = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then return {1, '', 0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if held then return {0, held, now} end
local tick = tonumber(ARGV[3])
local skew = tonumber(ARGV[4])
if now > tick + tonumber(ARGV[5]) + skew then return {3, '', now} end
if now < tick - skew then return {4, '', now} end
local run_id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
local epoch = redis.call('GET', KEYS[2])
local since = nil
if epoch then
  local id, ms = string.match(epoch, '^(%x+):(%d+)$')
  if id == run_id then since = tonumber(ms) end
end
if not since then
  since = now
  redis.call('SET', KEYS[2], run_id .. ':' .. now)
end
if tick < since + skew then return {2, tostring(since), now} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, '', now}
"""

# KEYS: guard key.  ARGV: token, ttl ms.  1 = held by the caller (taken now or already ours).
ACQUIRE = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if held then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

# KEYS: guard key.  ARGV: token, ttl ms.  1 = still ours and extended, 0 = lost.
EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# KEYS: guard key.  ARGV: token.  1 = deleted (or already gone, e.g. a re-sent release).
RELEASE = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
if held then return 0 end
return 1
"""
