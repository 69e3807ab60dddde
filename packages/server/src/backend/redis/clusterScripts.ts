/**
 * The Lua scripts of cluster membership (see `ClusterMembership`). Their keys share the hash tag
 * `{cluster}`: `epoch` (a random value set once per Redis lifetime, never expiring), `nodes` (the set of
 * live-or-unswept process incarnations) and `lease:<node>` (a process's lease, holding the epoch).
 */

/**
 * KEYS epoch, lease, nodes; ARGV[1] node, [2] an epoch to use if Redis has none, [3] lease in ms.
 * Joins the cluster. Reply: the epoch.
 */
export const JOIN = `
redis.call('SET', KEYS[1], ARGV[2], 'NX')
local epoch = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[2], epoch, 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
return epoch
`;

/**
 * KEYS epoch, lease; ARGV[1] the epoch joined, [2] lease in ms. Renews the lease. Reply: 'ok';
 * 'reset' when Redis lost its data since (restarted empty: the epoch is gone or another); 'lost' when the
 * lease ran out (this process was taken for dead, and its state swept).
 */
export const HEARTBEAT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'reset' end
if not redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'XX') then return 'lost' end
return 'ok'
`;
