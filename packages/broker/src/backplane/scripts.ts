/**
 * The two Lua scripts of the Redis backplane. Each touches only the keys of one channel (one
 * hash tag, so one Redis Cluster slot) and runs atomically, so the seq a publish takes and the
 * entry it appends can never disagree. Seqs are formatted with `%.0f`: Lua 5.1 numbers are
 * doubles, exact to 2^53, but `..` would print large ones in exponent form.
 */

import { createHash } from "node:crypto";

/**
 * Append. KEYS: stream, meta. ARGV: max length, key TTL ms, then the entry's field/value pairs.
 * A new stream's base is the server clock in microseconds (above any seq an earlier stream of
 * the channel had); takes the next seq, appends `<seq>-0` trimmed to about max length (`~`:
 * whole radix-tree nodes, far cheaper than exact), refreshes both keys' TTL. Returns the seq.
 */
export const APPEND_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[2], 'b', string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2])))
  redis.call('HSET', KEYS[2], 's', redis.call('HGET', KEYS[2], 'b'))
end
local seq = string.format('%.0f', redis.call('HINCRBY', KEYS[2], 's', 1))
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], seq .. '-0', unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return seq
`;

/**
 * Read for a resume. KEYS: stream, meta. ARGV: the seq to read after, the most entries to
 * return. Returns {base, head, entries newest first} (base and head nil when there is no stream).
 */
export const RESUME_SCRIPT = `
local m = redis.call('HMGET', KEYS[2], 'b', 's')
if not m[1] then return {false, false, {}} end
local entries = {}
if tonumber(ARGV[2]) > 0 then
  entries = redis.call('XREVRANGE', KEYS[1], '+', '(' .. ARGV[1] .. '-0', 'COUNT', ARGV[2])
end
return {m[1], m[2], entries}
`;

/** SHA1 of a script, for EVALSHA. */
export function scriptSha(script: string): string {
  return createHash("sha1").update(script).digest("hex");
}
