/** How long undelivered messages for a process are kept: past any lease and sweep of it. */
export const UNDELIVERED_TTL_MS = 120_000;
/** How many of an extension's last events for its registered peers are kept (see `events`). */
export const EVENTS_KEPT = 256;

/**
 * The Lua scripts of the Redis backend's extension operations. Each one is one atomic step that changes
 * the state and publishes the notices the change causes (see `SwitchboardBackend`), so what a process
 * hears can never disagree with the stored state.
 *
 * Every key a script touches belongs to one extension and carries its hash tag `{extensionId}`, so the
 * scripts also run on Redis Cluster. Keys (see `RedisKeys`):
 * - `registered`: hash, registered peer id -> the process (node incarnation) holding it;
 * - `calls`: hash, call id -> the call as JSON `{callId, callerPeerId, name?, order, callerNode,
 *   ringingAt, answererPeerId?, answererNode?, answeredAt?, answererName?}`; a call without
 *   `answererPeerId` is ringing;
 * - `seq`: the extension's sequence, never deleted, so it only grows (see `StatusReading`);
 * - `peers`: hash, resume token -> JSON `{p: peer id, n: process, name?}`, every peer that may resume
 *   (protocol section 8), written by its process (`RedisBackend.recordResumable`): what another process
 *   needs to take the peer on if its process dies;
 * - `undelivered:<process>`: list, messages for a process that no process listened to (see `TO_NODE`);
 * - `events`: list, the last `EVENTS_KEPT` messages for the registered audience, each numbered (`s`)
 *   from `seq` (a ringing call's with its `order`): what a dead process's agents may have missed since
 *   the last number that process had seen (see SWEEP_NODE).
 *
 * ARGV[1] is the key and channel prefix, ARGV[2] the extension id, ARGV[3] the calling process, ARGV[4] a
 * fence token ('' for none). A notice for the registered or unregistered audience is published on the
 * extension's channel; one for a peer on the channel of the process holding that peer. `connected` also
 * names the answerer's process, so the caller's process can send the call's signals straight there.
 *
 * The fence: before anything else, a script given a token publishes `F<token>` on the calling process's
 * own channel. Everything published before the script reaches that process before the fence, everything
 * the script publishes after it: the process settles the operation at the fence (`RedisBackend`), so a
 * peer awaiting it hears what came first before the outcome, and the outcome before what follows.
 */

/**
 * Publishes to a process's channel. When no process listens there (it died, and is not swept yet), the
 * message is kept in the extension's list of undelivered messages for that process, for the process that
 * takes its peers on (protocol section 8; see SWEEP_NODE). ARGV[1] and [2] must be prefix and extension.
 */
const TO_NODE = `
local function toNode(node, payload)
  if redis.call('PUBLISH', ARGV[1] .. 'node:' .. node, payload) == 0 then
    local held = ARGV[1] .. '{' .. ARGV[2] .. '}:undelivered:' .. node
    redis.call('RPUSH', held, payload)
    redis.call('PEXPIRE', held, ${UNDELIVERED_TTL_MS})
  end
end
`;

const PRELUDE = `${TO_NODE}
local prefix, ext, self, fence = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if fence ~= '' then redis.call('PUBLISH', prefix .. 'node:' .. self, 'F' .. fence) end
local function toAudience(audience, notice, order)
  if audience ~= 'registered' then
    redis.call('PUBLISH', prefix .. 'ext:{' .. ext .. '}', cjson.encode({a = audience, n = notice}))
    return
  end
  local message = {a = audience, n = notice, s = order or redis.call('INCR', prefix .. '{' .. ext .. '}:seq')}
  local encoded = cjson.encode(message)
  redis.call('PUBLISH', prefix .. 'ext:{' .. ext .. '}', encoded)
  local events = prefix .. '{' .. ext .. '}:events'
  redis.call('RPUSH', events, encoded)
  redis.call('LTRIM', events, -${EVENTS_KEPT}, -1)
  redis.call('PEXPIRE', events, ${UNDELIVERED_TTL_MS})
end
local function toPeer(node, peerId, notice, otherNode)
  toNode(node, cjson.encode({e = ext, p = peerId, n = notice, o = otherNode}))
end
local function currentSeq(seqKey)
  return tonumber(redis.call('GET', seqKey) or '0')
end
`;

/**
 * KEYS registered, calls, seq, names; ARGV[5] peer id, [6] its name or '' with [7] '1' when it has one.
 * Reply: {added 0|1, seq, ringing call JSON...}.
 */
export const REGISTER = `${PRELUDE}
local added = redis.call('HSET', KEYS[1], ARGV[5], self)
if ARGV[7] == '1' then redis.call('HSET', KEYS[4], ARGV[5], ARGV[6]) else redis.call('HDEL', KEYS[4], ARGV[5]) end
local seq
if added == 1 and redis.call('HLEN', KEYS[1]) == 1 then
  seq = redis.call('INCR', KEYS[3])
  toAudience('unregistered', {kind = 'extension', status = 'ready', seq = seq})
else
  seq = currentSeq(KEYS[3])
end
local reply = {added, seq}
for _, raw in ipairs(redis.call('HVALS', KEYS[2])) do
  if cjson.decode(raw).answererPeerId == nil then reply[#reply + 1] = raw end
end
return reply
`;

/**
 * KEYS registered, seq, names; ARGV[5] peer id. Only the process the registration names may end it: one
 * that was taken for dead, whose peers another took on (section 8), must not end them when it comes back.
 * Reply: {removed 0|1, registered count, seq}.
 */
export const DEREGISTER = `${PRELUDE}
local removed = 0
if redis.call('HGET', KEYS[1], ARGV[5]) == self then
  removed = redis.call('HDEL', KEYS[1], ARGV[5])
  redis.call('HDEL', KEYS[3], ARGV[5])
end
local count = redis.call('HLEN', KEYS[1])
local seq
if removed == 1 and count == 0 then
  seq = redis.call('INCR', KEYS[2])
  toAudience('unregistered', {kind = 'extension', status = 'offline', seq = seq})
else
  seq = currentSeq(KEYS[2])
end
return {removed, count, seq}
`;

/**
 * KEYS registered, calls, names. Reply: {registered peer ids, names (peer id, name, ...), calls JSON}, read
 * at one instant (the web admin's live view).
 */
export const LIVE_VIEW = `
return {redis.call('HKEYS', KEYS[1]), redis.call('HGETALL', KEYS[3]), redis.call('HVALS', KEYS[2])}
`;

/** KEYS registered, seq. Reply: {registered count, seq}, read at one instant. */
export const STATUS = `
return {redis.call('HLEN', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0')}
`;

/**
 * KEYS registered, calls, seq; ARGV[5] call id, [6] caller peer id, [7] name or '' with [8] '1' when
 * there is a name, [9] when it started ringing (ms). Reply: {0} (nobody registered, nothing created) or
 * {1, order}.
 */
export const PLACE_CALL = `${PRELUDE}
if redis.call('HLEN', KEYS[1]) == 0 then return {0} end
local order = redis.call('INCR', KEYS[3])
local call = {callId = ARGV[5], callerPeerId = ARGV[6], order = order, callerNode = self,
  ringingAt = tonumber(ARGV[9])}
local ringing = {kind = 'ringing', callId = ARGV[5]}
if ARGV[8] == '1' then
  call.name = ARGV[7]
  ringing.name = ARGV[7]
end
redis.call('HSET', KEYS[2], ARGV[5], cjson.encode(call))
toAudience('registered', ringing, order)
return {1, order}
`;

/**
 * KEYS calls; ARGV[5] call id, [6] answerer peer id, [7] its name or '' with [8] '1' when it has one,
 * [9] when it answered (ms). Reply: {0} or {1, call JSON as it was while ringing}.
 */
export const CLAIM_CALL = `${PRELUDE}
local raw = redis.call('HGET', KEYS[1], ARGV[5])
if not raw then return {0} end
local call = cjson.decode(raw)
if call.answererPeerId ~= nil then return {0} end
call.answererPeerId = ARGV[6]
call.answererNode = self
call.answeredAt = tonumber(ARGV[9])
if ARGV[8] == '1' then call.answererName = ARGV[7] end
redis.call('HSET', KEYS[1], ARGV[5], cjson.encode(call))
local connected = {kind = 'connected', callId = ARGV[5], answererPeerId = ARGV[6]}
local claimed = {kind = 'claimed', callId = ARGV[5]}
if ARGV[8] == '1' then
  connected.name = ARGV[7]
  claimed.name = ARGV[7]
end
toPeer(call.callerNode, call.callerPeerId, connected, self)
toAudience('registered', claimed)
return {1, raw}
`;

/**
 * KEYS calls; ARGV[5] call id, [6] reason (hangup, dropped, timeout), [7] the ending peer ('' for a
 * timeout), held by the calling process. Reply: {0} (not found, or a timeout of a connected call), or {1 was ringing | 2 was
 * connected, call JSON as stored}.
 */
export const END_CALL = `${PRELUDE}
local callId, reason, by = ARGV[5], ARGV[6], ARGV[7]
local raw = redis.call('HGET', KEYS[1], callId)
if not raw then return {0} end
local call = cjson.decode(raw)
if reason == 'timeout' and call.answererPeerId ~= nil then return {0} end
-- Only the process holding the party that ends it (see DEREGISTER).
if by ~= '' and (by == call.callerPeerId and call.callerNode or call.answererNode) ~= self then return {0} end
redis.call('HDEL', KEYS[1], callId)
if call.answererPeerId == nil then
  toAudience('registered', {kind = 'abandoned', callId = callId})
  if reason == 'timeout' then
    toPeer(call.callerNode, call.callerPeerId, {kind = 'disconnected', callId = callId, reason = 'timeout'})
  end
  return {1, raw}
end
if reason ~= 'timeout' then
  if by == call.callerPeerId then
    toPeer(call.answererNode, call.answererPeerId, {kind = 'disconnected', callId = callId, reason = reason})
  else
    toPeer(call.callerNode, call.callerPeerId, {kind = 'disconnected', callId = callId, reason = reason})
  end
end
return {2, raw}
`;

/**
 * KEYS calls; ARGV[4] call id, [5] receiving peer id, [6] the signal, [7] its refusal, both already
 * encoded. Publishes the signal to the process holding that party of the connected call. When the call
 * is not connected or the peer is not in it (it ended meanwhile), publishes the refusal to the calling
 * process instead: after the notices of that end, as one process would have answered `unknown-call`.
 * Reply: {1} relayed, {0} refused.
 */
export const RELAY_SIGNAL = `${TO_NODE}
local function refused()
  toNode(ARGV[3], ARGV[7])
  return {0}
end
local raw = redis.call('HGET', KEYS[1], ARGV[4])
if not raw then return refused() end
local call = cjson.decode(raw)
if call.answererPeerId == nil then return refused() end
local node
if ARGV[5] == call.callerPeerId then node = call.callerNode
elseif ARGV[5] == call.answererPeerId then node = call.answererNode
else return refused() end
toNode(node, ARGV[6])
return {1}
`;

/**
 * KEYS registered, calls, peers; ARGV[5] peer id, [6] its call id or '', [7] the process it moves to (a
 * resume there, protocol section 8), [8] its resume token. Its registration, its party of the call and
 * its record now name that process, and the other party's process hears where it went (`M` message), so
 * later notices and signals go there. Reply: {1}.
 */
export const MOVE_PEER = `${PRELUDE}
local peerId, callId, to = ARGV[5], ARGV[6], ARGV[7]
if redis.call('HEXISTS', KEYS[1], peerId) == 1 then redis.call('HSET', KEYS[1], peerId, to) end
local record = redis.call('HGET', KEYS[3], ARGV[8])
if record then
  local decoded = cjson.decode(record)
  decoded.n = to
  redis.call('HSET', KEYS[3], ARGV[8], cjson.encode(decoded))
end
if callId ~= '' then
  local raw = redis.call('HGET', KEYS[2], callId)
  if raw then
    local call = cjson.decode(raw)
    local other, otherNode
    if call.callerPeerId == peerId then
      call.callerNode = to
      other, otherNode = call.answererPeerId, call.answererNode
    elseif call.answererPeerId == peerId then
      call.answererNode = to
      other, otherNode = call.callerPeerId, call.callerNode
    end
    redis.call('HSET', KEYS[2], callId, cjson.encode(call))
    if other ~= nil and otherNode ~= nil then
      toNode(otherNode, 'M' .. cjson.encode({e = ext, p = other, callId = callId, peerId = peerId, node = to}))
    end
  end
end
return {1}
`;

/**
 * KEYS registered, calls, seq, peers, undelivered (of the dead process), names; ARGV[5] the last event number
 * the dead process had seen ('' if unknown), [6] '1' when the calling process takes peers on, else '0',
 * [7] the dead process. Idempotent.
 *
 * Taking peers on (protocol section 8): the calling process takes on each of the dead one's peers that
 * may resume (has a record in `peers`), absent, for their grace: their records, registrations and parties
 * of calls now name the calling process, and each other party's process hears where they went (`M`).
 * Without, their records are dropped. Every other peer of the dead process gets what section 6 says for a
 * closed connection: its registrations end (the extension may go offline), a ringing call it placed is
 * abandoned, a connected call's other party hears `disconnected` with reason `dropped`.
 *
 * Reply: {records (token, record JSON, registered 0|1, what was kept for it while it was away there (see
 * `keepForAbsent`), ...), their calls (JSON as stored now), ringing calls (JSON), undelivered messages,
 * the kept events, the calls it ended (JSON `{c: call as stored, o: outcome, b: caller|agent}`)}: the
 * undelivered messages are those published to the dead process after it stopped listening, in order,
 * which the calling process hands its new peers before anything this script publishes. The ended calls
 * go into the call history, written by the calling process only (the script runs once per death).
 */
export const SWEEP_NODE = `${PRELUDE}
local dead, adopting = ARGV[7], ARGV[6] == '1'
local adopted, taken = {}, {}
local records = redis.call('HGETALL', KEYS[4])
for i = 1, #records, 2 do
  local record = cjson.decode(records[i + 1])
  if record.n == dead and not adopting then
    redis.call('HDEL', KEYS[4], records[i])
  elseif record.n == dead then
    record.n = self
    local encoded = cjson.encode(record)
    redis.call('HSET', KEYS[4], records[i], encoded)
    adopted[record.p] = true
    taken[#taken + 1] = records[i]
    taken[#taken + 1] = encoded
    taken[#taken + 1] = redis.call('HGET', KEYS[1], record.p) == dead and 1 or 0
    taken[#taken + 1] = redis.call('LRANGE', prefix .. '{' .. ext .. '}:kept:' .. records[i], 0, -1)
  end
end
local undelivered = redis.call('LRANGE', KEYS[5], 0, -1)
redis.call('DEL', KEYS[5])
local registered = redis.call('HGETALL', KEYS[1])
local removed = 0
for i = 1, #registered, 2 do
  if registered[i + 1] == dead then
    if adopted[registered[i]] then
      redis.call('HSET', KEYS[1], registered[i], self)
    else
      redis.call('HDEL', KEYS[1], registered[i])
      redis.call('HDEL', KEYS[6], registered[i])
      removed = removed + 1
    end
  end
end
if removed > 0 and redis.call('HLEN', KEYS[1]) == 0 then
  toAudience('unregistered', {kind = 'extension', status = 'offline', seq = redis.call('INCR', KEYS[3])})
end
local theirCalls, ringing, ended = {}, {}, {}
local function endedBy(call, outcome, by)
  ended[#ended + 1] = cjson.encode({c = call, o = outcome, b = by})
end
local calls = redis.call('HGETALL', KEYS[2])
for i = 1, #calls, 2 do
  local callId, call = calls[i], cjson.decode(calls[i + 1])
  local callerDead = call.callerNode == dead
  local answererDead = call.answererPeerId ~= nil and call.answererNode == dead
  local callerGone = callerDead and not adopted[call.callerPeerId]
  local answererGone = answererDead and not adopted[call.answererPeerId]
  if callerDead and not callerGone then call.callerNode = self end
  if answererDead and not answererGone then call.answererNode = self end
  if callerGone then
    redis.call('HDEL', KEYS[2], callId)
    if call.answererPeerId == nil then
      toAudience('registered', {kind = 'abandoned', callId = callId})
      endedBy(call, 'abandoned', 'caller')
    else
      if not answererGone then
        toPeer(call.answererNode, call.answererPeerId, {kind = 'disconnected', callId = callId, reason = 'dropped'})
      end
      endedBy(call, 'dropped', 'caller')
    end
  elseif answererGone then
    redis.call('HDEL', KEYS[2], callId)
    toPeer(call.callerNode, call.callerPeerId, {kind = 'disconnected', callId = callId, reason = 'dropped'})
    endedBy(call, 'dropped', 'agent')
  else
    if callerDead or answererDead then
      local encoded = cjson.encode(call)
      redis.call('HSET', KEYS[2], callId, encoded)
      theirCalls[#theirCalls + 1] = encoded
      if callerDead and call.answererPeerId ~= nil and not answererDead then
        toNode(call.answererNode, 'M' .. cjson.encode({e = ext, p = call.answererPeerId, callId = callId,
          peerId = call.callerPeerId, node = self}))
      elseif answererDead and not callerDead then
        toNode(call.callerNode, 'M' .. cjson.encode({e = ext, p = call.callerPeerId, callId = callId,
          peerId = call.answererPeerId, node = self}))
      end
    end
    if call.answererPeerId == nil then ringing[#ringing + 1] = cjson.encode(call) end
  end
end
local events = {}
if ARGV[5] ~= '' then events = redis.call('LRANGE', prefix .. '{' .. ext .. '}:events', 0, -1) end
return {taken, theirCalls, ringing, undelivered, events, ended}
`;
