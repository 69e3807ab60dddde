import { nodeCountOf, onNode, type Target } from '../servers/serverKinds.js';
import { delay, forEachConcurrent, withTimeout } from './concurrency.js';
import { connectPbxPeer, type PbxPeer, ProtocolFailure, SIGNAL_START } from './protocols/pbxProtocol.js';
import {
  connectPeerjsPeer,
  newPeerjsId,
  peerjsDeliveredStart,
  peerjsSignalPrefix,
  peerjsTypeFor,
} from './protocols/peerjsProtocol.js';
import type { RawWebSocket } from './rawWs/RawWebSocket.js';

/**
 * Two connected peers that can relay signals to each other through the server under test. For the
 * PeerJS format that is two peers that know each other's id; for pbx-peers it is a connected call: the
 * caller called, the agent (registered with the extension's password) answered. On a cluster the caller
 * and the agent of every pair are on different nodes (`crossNodePair`), so every signal crosses Redis.
 */
export interface RelayEndpoint {
  ws: RawWebSocket;
  /** The frame text before the payload of a signal to the other end; `}` follows the payload. */
  prefixFor(payloadBytes: number): Buffer;
  /** How a signal delivered to this endpoint begins. */
  deliveredStart(payloadBytes: number): Buffer;
}

export interface RelayPair {
  a: RelayEndpoint;
  b: RelayEndpoint;
}

const SETUP_CONCURRENCY = 32;

export async function openRelayPairs(
  target: Target,
  count: number,
  localAddress: string | undefined,
  timeoutMs: number,
): Promise<RelayPair[]> {
  return target.protocol === 'pbx'
    ? openPbxPairs(target, count, localAddress, timeoutMs)
    : openPeerjsPairs(target, count, localAddress, timeoutMs);
}

/**
 * The nodes of pair `index` on a cluster of `nodes`: callers rotate over the nodes, and the agent's node
 * is one or two further on, alternating, so every ordered pair of distinct nodes gets an equal share
 * (for 3 nodes: 0→1, 1→2, 2→0, 0→2, 1→0, 2→1, …). One node: both on it.
 */
export function crossNodePair(index: number, nodes: number): { callerNode: number; agentNode: number } {
  if (nodes <= 1) return { callerNode: 0, agentNode: 0 };
  const callerNode = index % nodes;
  const offset = 1 + (Math.floor(index / nodes) % (nodes - 1));
  return { callerNode, agentNode: (callerNode + offset) % nodes };
}

export function closeRelayPairs(pairs: readonly RelayPair[]): void {
  for (const { a, b } of pairs) {
    a.ws.destroy();
    b.ws.destroy();
  }
}

async function openPeerjsPairs(
  target: Target,
  count: number,
  localAddress: string | undefined,
  timeoutMs: number,
): Promise<RelayPair[]> {
  const pairs: RelayPair[] = [];
  await forEachConcurrent(count, SETUP_CONCURRENCY, async () => {
    const idA = newPeerjsId();
    const idB = newPeerjsId();
    const [wsA, wsB] = await Promise.all([
      connectPeerjsPeer(target, idA, idB, localAddress, timeoutMs),
      connectPeerjsPeer(target, idB, idA, localAddress, timeoutMs),
    ]);
    const endpoint = (ws: RawWebSocket, otherId: string): RelayEndpoint => ({
      ws,
      prefixFor: (payloadBytes) => peerjsSignalPrefix(peerjsTypeFor(payloadBytes), otherId),
      deliveredStart: (payloadBytes) => peerjsDeliveredStart(peerjsTypeFor(payloadBytes)),
    });
    pairs.push({ a: endpoint(wsA, idB), b: endpoint(wsB, idA) });
  });
  return pairs;
}

async function openPbxPairs(
  target: Target,
  count: number,
  localAddress: string | undefined,
  timeoutMs: number,
): Promise<RelayPair[]> {
  if (target.protocol !== 'pbx') throw new TypeError('not a pbx-peers target');
  const nodes = nodeCountOf(target);
  const callers: PbxPeer[] = [];
  const agents: PbxPeer[] = [];
  await forEachConcurrent(count * 2, SETUP_CONCURRENCY, async (index) => {
    const pair = index >> 1;
    const isAgent = index % 2 === 0;
    const { callerNode, agentNode } = crossNodePair(pair, nodes);
    const peer = await connectPbxPeer(
      onNode(target, isAgent ? agentNode : callerNode),
      localAddress,
      timeoutMs,
    );
    await peer.init(timeoutMs);
    if (isAgent) {
      await peer.register(target.password, timeoutMs);
      agents[pair] = peer;
    } else {
      callers[pair] = peer;
    }
  });
  const pairs: RelayPair[] = [];
  // Calls one at a time: each is broadcast to every agent, so setting them up in parallel only queues.
  for (let index = 0; index < count; index++) {
    const caller = callers[index] as PbxPeer;
    const agent = agents[index] as PbxPeer;
    const connected = new Promise<void>((resolve) => {
      caller.onMessage = (message) => {
        if (message.topic === 'session' && message.status === 'connected') resolve();
      };
    });
    const called = await caller.request({ type: 'call', name: `bench ${index}` }, timeoutMs);
    const callId = called.callId;
    if (called.status !== 'ringing' || typeof callId !== 'string') {
      throw new ProtocolFailure(`call answered ${JSON.stringify(called)}`);
    }
    const answered = await agent.request({ type: 'answer', callId }, timeoutMs);
    if (answered.status !== 'connected')
      throw new ProtocolFailure(`answer answered ${JSON.stringify(answered)}`);
    await withTimeout(connected, timeoutMs, 'the caller hearing connected');
    caller.onMessage = () => {};
    const endpoint = (peer: PbxPeer): RelayEndpoint => {
      const prefix = peer.signalPrefix(callId);
      return { ws: peer.ws, prefixFor: () => prefix, deliveredStart: () => SIGNAL_START };
    };
    pairs.push({ a: endpoint(caller), b: endpoint(agent) });
  }
  // `claimed` events of the last calls may still be on their way to agents: let them land before the
  // drivers take over every endpoint's frames (they count anything else as unexpected).
  await delay(300);
  return pairs;
}
