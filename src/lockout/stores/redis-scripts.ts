/**
 * The lockout rules in Lua, for the Redis store: one script per store operation (reserve, settle, status,
 * unlock), each a line-by-line twin of rules.ts. Every block names the rules.ts function it mirrors; change
 * both together (the conformance suite holds the memory store and this one to the same answers).
 *
 * Record layout: one Redis hash per key, with the fields below. Numbers are written with '%.17g', which
 * gives an integer back as its plain digits and any other double exactly, so what a step writes is what the
 * next step reads (windows and locks may be fractional milliseconds: the policy takes seconds as decimals).
 * `digests` holds the recent wrong-attempt digests, newest last, each as `<expiresAt>:<length>:<digest>`
 * (length-prefixed, so a digest may hold any byte). Lua numbers returned to Redis are cut to integers, so
 * every number the scripts return is a string made by the same '%.17g'.
 *
 * TTL: every write sets PEXPIRE (recordExpiresAt - now), relative to the policy's `now`, never PEXPIREAT:
 * the policy's clock and Redis's may differ (tests move the policy's by hand). A permanent lock has no TTL
 * (PERSIST); a record that holds nothing any more is deleted. Redis's expiry is only the garbage collector:
 * decisions always look at the stored expiry times against `now` (refresh), like the memory store.
 */

/** Field names of a record hash, in the order the scripts read them with HMGET. */
export const recordFields = [
  'scope',
  'label',
  'failures',
  'failuresExpireAt',
  'lockedUntil',
  'permanent',
  'lockTicket',
  'lockCount',
  'lockCountExpiresAt',
  'digests',
] as const;

/** ARGV values per target, after an operation's own leading arguments (see `targetArgs` in redis.ts). */
export const argsPerTarget = 9;

/** Names the scripts are registered under with ioredis `defineCommand` (namespaced: the client may be shared). */
export const commandNames = {
  reserve: 'legacyIdpLockoutReserve',
  settle: 'legacyIdpLockoutSettle',
  status: 'legacyIdpLockoutStatus',
  unlock: 'legacyIdpLockoutUnlock',
} as const;

/** Shared by every script: record access and the rules themselves. */
const prelude = String.raw`
local FIELDS = { ${recordFields.map((field) => `'${field}'`).join(', ')} }

local function fmt(x)
  return string.format('%.17g', x)
end

-- Math.round for the non-negative values it is used on.
local function round(x)
  return math.floor(x + 0.5)
end

local function decodeDigests(text)
  local list = {}
  if not text or text == '' then return list end
  local pos = 1
  while pos <= #text do
    local colon = string.find(text, ':', pos, true)
    local second = string.find(text, ':', colon + 1, true)
    local length = tonumber(string.sub(text, colon + 1, second - 1))
    list[#list + 1] = { expiresAt = tonumber(string.sub(text, pos, colon - 1)), digest = string.sub(text, second + 1, second + length) }
    pos = second + length + 1
  end
  return list
end

local function encodeDigests(list)
  local parts = {}
  for i = 1, #list do
    parts[i] = fmt(list[i].expiresAt) .. ':' .. #list[i].digest .. ':' .. list[i].digest
  end
  return table.concat(parts)
end

-- Targets: KEYS[i] with ARGV[first + (i-1) * ${argsPerTarget} ...] = scope, label, threshold, windowMs, lock base,
-- factor, max, permanentAfter, memory.
local function readTargets(first)
  local targets = {}
  for i = 1, #KEYS do
    local at = first + (i - 1) * ${argsPerTarget}
    targets[i] = {
      key = KEYS[i],
      scope = ARGV[at],
      label = ARGV[at + 1],
      threshold = tonumber(ARGV[at + 2]),
      windowMs = tonumber(ARGV[at + 3]),
      lock = {
        baseMs = tonumber(ARGV[at + 4]),
        factor = tonumber(ARGV[at + 5]),
        maxMs = tonumber(ARGV[at + 6]),
        permanentAfter = tonumber(ARGV[at + 7]),
        memoryMs = tonumber(ARGV[at + 8]),
      },
    }
  end
  return targets
end

-- rules.ts emptyRecord
local function emptyRecord(target)
  return {
    scope = target.scope,
    label = target.label,
    failures = 0,
    failuresExpireAt = 0,
    lockedUntil = 0,
    permanent = false,
    lockTicket = '',
    lockCount = 0,
    lockCountExpiresAt = 0,
    digests = {},
  }
end

-- rules.ts refresh
local function refresh(record, now)
  if record.failures > 0 and now >= record.failuresExpireAt then
    record.failures = 0
    record.failuresExpireAt = 0
  end
  if not record.permanent and record.lockedUntil > 0 and now >= record.lockedUntil then
    record.lockedUntil = 0
    record.lockTicket = ''
  end
  if record.failures < 0 and not record.permanent and record.lockedUntil == 0 then record.failures = 0 end
  if record.lockCount > 0 and now >= record.lockCountExpiresAt then
    record.lockCount = 0
    record.lockCountExpiresAt = 0
  end
  local kept = {}
  for i = 1, #record.digests do
    if record.digests[i].expiresAt > now then kept[#kept + 1] = record.digests[i] end
  end
  record.digests = kept
  return record
end

-- rules.ts recordExpiresAt
local function recordExpiresAt(record)
  if record.permanent then return math.huge end
  local until_ = math.max(record.failuresExpireAt, record.lockedUntil, record.lockCountExpiresAt)
  for i = 1, #record.digests do until_ = math.max(until_, record.digests[i].expiresAt) end
  return until_
end

-- rules.ts isEmpty
local function isEmpty(record)
  return record.failures == 0 and record.lockedUntil == 0 and not record.permanent and record.lockCount == 0 and #record.digests == 0
end

-- rules.ts isLocked
local function isLocked(record, now)
  return record.permanent or record.lockedUntil > now
end

-- rules.ts lockDuration
local function lockDuration(lock, n)
  return math.min(lock.maxMs, round(lock.baseMs * lock.factor ^ (n - 1)))
end

-- memory.ts view.get: the held record, or nil when there is none or all of it has expired by now (then it
-- is deleted when the step may write).
local function getRecord(key, now, mayWrite)
  local v = redis.call('HMGET', key, unpack(FIELDS))
  if not v[1] then return nil end
  local record = {
    scope = v[1],
    label = v[2] or '',
    failures = tonumber(v[3]) or 0,
    failuresExpireAt = tonumber(v[4]) or 0,
    lockedUntil = tonumber(v[5]) or 0,
    permanent = v[6] == '1',
    lockTicket = v[7] or '',
    lockCount = tonumber(v[8]) or 0,
    lockCountExpiresAt = tonumber(v[9]) or 0,
    digests = decodeDigests(v[10]),
  }
  if recordExpiresAt(record) <= now then
    if mayWrite then redis.call('DEL', key) end
    return nil
  end
  return record
end

-- rules.ts load
local function load(target, now)
  local stored = getRecord(target.key, now, true)
  if stored then return refresh(stored, now) end
  local record = emptyRecord(target)
  record.fresh = true
  return record
end

-- rules.ts save, plus the write itself (the memory store changes held records in place) and the TTL.
local function save(key, record, now)
  local fresh = record.fresh
  record.fresh = nil
  if isEmpty(record) then
    if not fresh then redis.call('DEL', key) end
    return
  end
  redis.call('HSET', key,
    'scope', record.scope,
    'label', record.label,
    'failures', fmt(record.failures),
    'failuresExpireAt', fmt(record.failuresExpireAt),
    'lockedUntil', fmt(record.lockedUntil),
    'permanent', record.permanent and '1' or '0',
    'lockTicket', record.lockTicket,
    'lockCount', fmt(record.lockCount),
    'lockCountExpiresAt', fmt(record.lockCountExpiresAt),
    'digests', encodeDigests(record.digests))
  if record.permanent then
    redis.call('PERSIST', key)
  else
    redis.call('PEXPIRE', key, math.max(1, math.ceil(recordExpiresAt(record) - now)))
  end
end

local function hasDigest(record, digest)
  for i = 1, #record.digests do
    if record.digests[i].digest == digest then return true end
  end
  return false
end

-- rules.ts remember
local function remember(account, digest, repeatRule, now)
  if repeatRule.remember <= 0 then return end
  local kept = {}
  local old = account.digests
  -- Newest last; keep at most remember - 1 of the old ones, then this one.
  for i = math.max(1, #old - (repeatRule.remember - 1) + 1), #old do
    if old[i].digest ~= digest then kept[#kept + 1] = old[i] end
  end
  kept[#kept + 1] = { digest = digest, expiresAt = now + repeatRule.ttlMs }
  account.digests = kept
end

-- rules.ts takeBack
local function takeBack(record, target, ticket, now)
  if record.lockTicket == ticket and (record.permanent or record.lockedUntil > 0) then
    -- This attempt set the lock: undo the lock and restore the count it reset.
    record.permanent = false
    record.lockedUntil = 0
    record.lockTicket = ''
    record.lockCount = math.max(0, record.lockCount - 1)
    if record.lockCount == 0 then record.lockCountExpiresAt = 0 end
    record.failures = math.max(0, target.threshold - 1 + math.min(0, record.failures))
    record.failuresExpireAt = record.failures > 0 and now + target.windowMs or 0
    return
  end
  if record.failures <= 0 and record.lockTicket ~= '' and (record.permanent or record.lockedUntil > 0) then
    -- One of the failures another attempt's lock reset: remembered as a negative count.
    record.failures = math.max(1 - target.threshold, record.failures - 1)
    return
  end
  -- Another attempt may have locked and reset the count since: never go below zero.
  record.failures = math.max(0, record.failures - 1)
  if record.failures == 0 then record.failuresExpireAt = 0 end
end
`;

/**
 * rules.ts applyReserve. KEYS = the targets (account first). ARGV: now, ticket, hasDigest ('1'/'0'), digest,
 * repeat.remember, repeat.ttlMs, then the targets (from ARGV[7]).
 * Returns {1, counted} when allowed, {0, target index (1-based), retryAfterMs, permanent} when refused.
 */
const reserve = String.raw`${prelude}
local now = tonumber(ARGV[1])
local ticket = ARGV[2]
local digest = nil
if ARGV[3] == '1' then digest = ARGV[4] end
local repeatRule = { remember = tonumber(ARGV[5]), ttlMs = tonumber(ARGV[6]) }
local targets = readTargets(7)
local records = {}
for i = 1, #targets do records[i] = load(targets[i], now) end

-- 1. any target locked -> refused, nothing counted
local refusal = nil
for i = 1, #records do
  local record = records[i]
  if isLocked(record, now) then
    local retryAfterMs = math.huge
    if not record.permanent then retryAfterMs = record.lockedUntil - now end
    if not refusal or retryAfterMs > refusal.retryAfterMs then
      refusal = { index = i, retryAfterMs = retryAfterMs, permanent = record.permanent }
    end
  end
end
if refusal then
  for i = 1, #records do save(targets[i].key, records[i], now) end
  local retry = '0'
  if not refusal.permanent then retry = fmt(refusal.retryAfterMs) end
  return { 0, refusal.index, retry, refusal.permanent and 1 or 0 }
end

-- 2. the digest repeats a remembered wrong attempt -> allowed, not counted
local account = records[1]
if account and digest ~= nil and hasDigest(account, digest) then
  for i = 1, #records do save(targets[i].key, records[i], now) end
  return { 1, 0 }
end

-- 3. the attempt counts as a failure now; the threshold-th one sets the lock
for i = 1, #records do
  local record = records[i]
  local target = targets[i]
  record.label = target.label
  record.failures = record.failures + 1
  record.failuresExpireAt = now + target.windowMs
  if record.failures >= target.threshold then
    record.lockCount = record.lockCount + 1
    record.lockCountExpiresAt = now + target.lock.memoryMs
    record.failures = 0
    record.failuresExpireAt = 0
    record.lockTicket = ticket
    if target.lock.permanentAfter > 0 and record.lockCount >= target.lock.permanentAfter then
      record.permanent = true
      record.lockedUntil = 0
    else
      record.lockedUntil = now + lockDuration(target.lock, record.lockCount)
    end
  end
  if i == 1 and digest ~= nil then remember(record, digest, repeatRule, now) end
  save(target.key, record, now)
end
return { 1, 1 }
`;

/**
 * rules.ts applySettle. KEYS = the targets (account first). ARGV: now, ticket, kind, counted ('1'/'0'),
 * hasDigest ('1'/'0'), digest, repeat.remember, repeat.ttlMs, then the targets (from ARGV[9]).
 * Returns 1 when a late `failure` digest was a repeat and the attempt was taken back, else 0 (the Cluster
 * path then takes it back from the other slot groups too).
 */
const settle = String.raw`${prelude}
local now = tonumber(ARGV[1])
local ticket = ARGV[2]
local kind = ARGV[3]
local counted = ARGV[4] == '1'
local digest = nil
if ARGV[5] == '1' then digest = ARGV[6] end
local repeatRule = { remember = tonumber(ARGV[7]), ttlMs = tonumber(ARGV[8]) }
local targets = readTargets(9)

-- rules.ts settleEach
local function settleEach(change)
  for i = 1, #targets do
    local target = targets[i]
    local stored = getRecord(target.key, now, true)
    if stored then
      local record = refresh(stored, now)
      change(record, target)
      save(target.key, record, now)
    end
  end
end

if kind == 'failure' then
  -- Only reached when the digest was not known at reserve time: a repeat is taken back, a new one remembered.
  local accountTarget = targets[1]
  if not accountTarget or digest == nil or not counted then return 0 end
  local account = load(accountTarget, now)
  if hasDigest(account, digest) then
    settleEach(function(record, target) takeBack(record, target, ticket, now) end)
    return 1
  end
  remember(account, digest, repeatRule, now)
  save(accountTarget.key, account, now)
  return 0
end

settleEach(function(record, target)
  if kind == 'success' and target.scope ~= 'ip' then
    -- The password was right: the account's consecutive failures, growth and remembered digests reset. A lock
    -- set by a parallel attempt stays unless this very attempt set it.
    if record.lockTicket == ticket then
      record.lockedUntil = 0
      record.permanent = false
      record.lockTicket = ''
    end
    record.failures = 0
    record.failuresExpireAt = 0
    record.lockCount = 0
    record.lockCountExpiresAt = 0
    record.digests = {}
    return
  end
  -- cancel anywhere, and success on the IP scope (a right password is not a failure of that IP).
  if counted then takeBack(record, target, ticket, now) end
  if kind == 'cancel' and digest ~= nil and counted then
    local kept = {}
    for i = 1, #record.digests do
      if record.digests[i].digest ~= digest then kept[#kept + 1] = record.digests[i] end
    end
    record.digests = kept
  end
end)
return 0
`;

/**
 * rules.ts statusOf (through memory.ts status: no record, or an expired one, is nil). Reads only.
 * KEYS[1] = the key; ARGV: now. Returns nil or {scope, label, failures, lockCount, lockedUntil, permanent}.
 */
const status = String.raw`${prelude}
local now = tonumber(ARGV[1])
local record = getRecord(KEYS[1], now, false)
if not record then return nil end
refresh(record, now)
local lockedUntil = record.lockedUntil
if record.permanent then lockedUntil = 0 end
return { record.scope, record.label, fmt(math.max(0, record.failures)), fmt(record.lockCount), fmt(lockedUntil), record.permanent and 1 or 0 }
`;

/** memory.ts unlock: clears the key; 1 when it held something (not expired by now), else 0. KEYS[1]; ARGV: now. */
const unlock = String.raw`${prelude}
local now = tonumber(ARGV[1])
local had = getRecord(KEYS[1], now, true) ~= nil
redis.call('DEL', KEYS[1])
if had then return 1 end
return 0
`;

export const lockoutScripts = { reserve, settle, status, unlock } as const;
