/**
 * The Redis store's Lua scripts: each does in one round trip, atomically, what one call of the
 * store needs (lock and load, write and unlock, delete and mark the end, count, prune), so that
 * no other process's command runs in between. Keys and arguments are named above each script.
 */

/**
 * Redis's own clock in milliseconds, for the expiry index: the records expire on it, and the
 * app instances' clocks may disagree. A script may write after reading the time only under
 * effects replication: Redis 5+'s default, asked for in case a Redis 6 is set otherwise.
 */
const NOW = `
redis.replicate_commands()
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)`

/**
 * Puts the session in the expiry index, and gives the index a life of its own: with none, a
 * `volatile-*` eviction policy could never drop it, and a burst of new sessions once left
 * Redis holding only the index, every write refused as out of memory until those sessions
 * expired, a week later. It outlives the session by an hour to a day, so that sessions
 * expiring meanwhile are still counted (the store's `stats`) unless the app is idle that long.
 * KEYS[3]: index. ARGV[3]: ttl, ARGV[4]: id.
 */
const INDEX = `
redis.call('ZADD', KEYS[3], now + ARGV[3], ARGV[4])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[3]) < ttl + 3600000 then redis.call('PEXPIRE', KEYS[3], ttl + 86400000) end`

/** Most expired ids one script drops and answers, so that a flood's expiries come in bounded replies. */
export const PRUNE_BATCH = 1_000

/**
 * Drops expired ids from the index `index` and counts them in `count`; `pruned` holds their ids
 * when `told` (the store has an `onExpire`), else stays empty: one call, as cheap as before.
 * Inside a script, so that of several processes pruning at once each id goes to one of them.
 * Scores below `now` only: Redis expires a key once its time is past, so in the millisecond of
 * its score the record is still there, and may be loaded and renewed.
 */
const prune = (index: string, count: string, told: boolean) =>
    told
        ? `
local pruned = redis.call('ZRANGEBYSCORE', ${index}, '-inf', '(' .. now, 'LIMIT', 0, ${PRUNE_BATCH})
if #pruned > 0 then
    redis.call('ZREM', ${index}, unpack(pruned))
    redis.call('INCRBY', ${count}, #pruned)
end`
        : `
local pruned = {}
local expired = redis.call('ZREMRANGEBYSCORE', ${index}, '-inf', '(' .. now)
if expired > 0 then redis.call('INCRBY', ${count}, expired) end`

/**
 * Takes the lock if free, or held by a token this process abandoned (`abandoned` in redis.ts), and,
 * holding it, reads the record and extends its life: one round trip. Answers {2, milliseconds
 * since}, and takes no lock, for a session that `DELETE` ended (its mark): it has nothing left
 * to guard. A mark of a version before the time was kept in it (`1`) counts as just made.
 * KEYS: record, lock, index, ended mark. ARGV: token, lease, ttl, id, abandoned tokens….
 */
export const LOCK_AND_LOAD = `${NOW}
local ended = redis.call('GET', KEYS[4])
if ended then return {2, ended == '1' and 0 or math.max(0, now - tonumber(ended))} end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
    local holder = redis.call('GET', KEYS[2])
    local abandoned = false
    for i = 5, #ARGV do
        if ARGV[i] == holder then abandoned = true end
    end
    if not abandoned then return {0} end
    redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
end
local record = redis.call('GET', KEYS[1])
if record then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])${INDEX}
end
return {1, record}`

/**
 * Writes the record and, given a token, unlocks; refused ({0}) when that lock is no longer
 * ours, or, without a token (a session this request created), when the id is locked all the
 * same, or ({2}) when the session was ended (its mark): a delete in any process (`endScopedSession`,
 * the app's own) drops the lock of the request still holding the session, whose save would
 * otherwise bring the ended record back; or when the session a login moved from was ended
 * (its mark, KEYS[6]), whose preserved keys the record carries. Also drops expired ids from the
 * index (`prune`), and answers {1, their ids}. The calls that can fail (on a key of another type) come first: Redis
 * keeps what a script wrote before it failed.
 * KEYS: record, lock, index, expired count, ended mark, the login's source's ended mark (or the
 * ended mark again). ARGV: token or '', record, ttl, id.
 */
export const writeScript = (told: boolean) => `${NOW}
if redis.call('EXISTS', KEYS[5], KEYS[6]) > 0 then return {2} end
if ARGV[1] ~= '' then
    if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {0} end
elseif redis.call('EXISTS', KEYS[2]) == 1 then
    return {0}
end
${INDEX}${prune('KEYS[3]', 'KEYS[4]', told)}
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[1] ~= '' then redis.call('DEL', KEYS[2]) end
return {1, pruned}`

/** Deletes the lock only if it is still ours: a lock that expired may belong to someone else now. */
export const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/**
 * Leaves a mark holding when the session ended, by Redis's clock less `agoMs` (an app's end, dated
 * past the grace), for as long as its cookie may still be sent, so that other processes know it
 * ended, and when (see `endedAgo` in store.ts). A plain time, which every version that kept one reads. A session
 * ended again (a second logout) keeps its first end, as the processes that learnt it do, and the
 * longer of the two lives. A mark of an earlier version (`1`) held no time, and counts as just made:
 * its end becomes now.
 * KEYS: record, lock, index, ended mark. ARGV: id, mark's life in ms, agoMs.
 */
export const DELETE = `${NOW}
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
local ended = redis.call('GET', KEYS[4])
local since = ended == '1' and now or ended or now - tonumber(ARGV[3])
redis.call('SET', KEYS[4], since, 'PX', math.max(tonumber(ARGV[2]), redis.call('PTTL', KEYS[4])))`

/**
 * First a write that changes nothing once the counter exists (so nothing to replicate or
 * persist), which Redis refuses when full as it refuses every request's lock: the health
 * check then fails with the requests, not only when Redis is gone. Answers the sessions, the
 * expirations, and the ids it dropped from the index (`prune`).
 * KEYS: index, expired count.
 */
export const statsScript = (told: boolean) => `${NOW}
redis.call('SET', KEYS[2], 0, 'NX')${prune('KEYS[1]', 'KEYS[2]', told)}
return {redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0'), pruned}`

/** The timer's prune, for a store given `onExpire`: the ids it dropped. KEYS: index, expired count. */
export const PRUNE = `${NOW}${prune('KEYS[1]', 'KEYS[2]', true)}
return pruned`

const sha1s = new Map<string, string>()
/** A script's name in Redis' script cache. */
export const sha1 = (source: string) => {
    const known = sha1s.get(source)
    if (known) return known
    const digest = new Bun.CryptoHasher('sha1').update(source).digest('hex')
    sha1s.set(source, digest)
    return digest
}
