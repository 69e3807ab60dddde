/**
 * The reference model of the protocol (`docs/protocol.md` sections 3 to 7, and the choices
 * `docs/protocol.md` lists where the contract is silent). Pure: a state and one event in, the next
 * state and every message each peer must receive out. It never looks at the server.
 *
 * Server-issued ids are symbolic here (`§peer1`, `§call1`); the checker binds each to the real id the
 * first time it sees it, one to one. A slot is one peer position of a program: each connection made on
 * it is a new peer.
 */

export type ExtensionStatus = 'ready' | 'offline';

/** A wire message as plain JSON; ids in it may be symbolic. */
export type WireObject = Record<string, unknown>;

export interface ModelExtension {
  id: string;
  password: string;
}

export interface ModelPeer {
  extension: string;
  /** Symbolic peer id, set by the first `init`. */
  peerId?: string;
  registered: boolean;
  /** The extension status this peer last learned; an extension event repeating it is not sent. */
  knownStatus?: ExtensionStatus;
  session?: { callId: string; role: 'caller' | 'answerer' };
  /** While registered: calls it heard `ringing` for and not yet `claimed`/`abandoned`. */
  heardRinging: string[];
}

export interface ModelCall {
  callId: string;
  extension: string;
  callerSlot: number;
  state: 'ringing' | 'connected' | 'over';
  answererSlot?: number;
  name?: string;
  createdAt: number;
}

export interface ModelState {
  now: number;
  ringTimeoutMs: number;
  extensions: ModelExtension[];
  /** By slot; undefined while the slot has no open connection. */
  peers: Array<ModelPeer | undefined>;
  /** Every call ever created, oldest first. */
  calls: ModelCall[];
  issuedPeers: number;
  issuedCalls: number;
}

/** What happens to the system: the model's input. */
export type ModelEvent =
  | { kind: 'connect'; slot: number; extension: string }
  /** `message` is exactly what the client sends (with symbolic ids). */
  | { kind: 'send'; slot: number; message: WireObject }
  | { kind: 'disconnect'; slot: number; how: 'close' | 'terminate' }
  /** The clock moves; ring timeouts that fall due are separate `expire` events. */
  | { kind: 'tick'; ms: number }
  | { kind: 'expire'; callId: string };

export interface Delivery {
  slot: number;
  message: WireObject;
}

export interface Outcome {
  state: ModelState;
  /** In production order; only the relative order per slot is meaningful. */
  deliveries: Delivery[];
  /** The event was answered with an `error` (and so must have changed nothing). */
  wasError: boolean;
}

/** Stands for the error's human `message`: any non-empty string. */
export const ANY_TEXT = '<any non-empty text>';
/** A call id no server issues: `answer`, `end` and `signal` of an unknown call. */
export const UNKNOWN_CALL_ID = 'no-such-call';
/** A peer id no server issues: `bad-peer-id`. */
export const BOGUS_PEER_ID = 'no-such-peer';

export function isSymbolicId(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('§');
}

export function initialState(
  extensions: ModelExtension[],
  slotCount: number,
  ringTimeoutMs: number,
): ModelState {
  return {
    now: 0,
    ringTimeoutMs,
    extensions,
    peers: Array.from({ length: slotCount }, () => undefined),
    calls: [],
    issuedPeers: 0,
    issuedCalls: 0,
  };
}

/** Calls that a `tick` of `ms` from this state makes fall due, oldest first. */
export function callsDueAfter(state: ModelState, ms: number): string[] {
  if (state.ringTimeoutMs <= 0) return [];
  return state.calls
    .filter((call) => call.state === 'ringing' && call.createdAt + state.ringTimeoutMs <= state.now + ms)
    .map((call) => call.callId);
}

export function extensionStatus(state: ModelState, extension: string): ExtensionStatus {
  return state.peers.some((peer) => peer?.extension === extension && peer.registered) ? 'ready' : 'offline';
}

export function applyEvent(before: ModelState, event: ModelEvent): Outcome {
  const state = structuredClone(before);
  const deliveries: Delivery[] = [];
  const step = new Step(state, deliveries);
  switch (event.kind) {
    case 'connect':
      state.peers[event.slot] = { extension: event.extension, registered: false, heardRinging: [] };
      break;
    case 'send': {
      const error = step.handle(event.slot, event.message);
      if (error !== undefined) {
        // An error never changes state: the state before is the state after.
        return { state: before, deliveries: [{ slot: event.slot, message: error }], wasError: true };
      }
      break;
    }
    case 'disconnect':
      step.disconnect(event.slot);
      break;
    case 'tick':
      state.now += event.ms;
      break;
    case 'expire':
      step.expire(event.callId);
      break;
  }
  return { state, deliveries, wasError: false };
}

/** One event's effects on a (cloned) state; answers an error object instead of changing anything. */
class Step {
  constructor(
    private readonly state: ModelState,
    private readonly deliveries: Delivery[],
  ) {}

  handle(slot: number, message: WireObject): WireObject | undefined {
    const peer = this.peer(slot);
    const type = message.type as string;
    if (type === 'init') return this.init(slot, peer, message);
    if (peer.peerId === undefined) return error('not-initialized', message);
    if (message.peerId !== peer.peerId) return error('bad-peer-id', message);
    switch (type) {
      case 'register':
        return this.register(slot, peer, message);
      case 'deregister':
        this.respond(slot, message, { status: 'unregistered' });
        this.leaveRegistered(peer);
        return undefined;
      case 'status':
        peer.knownStatus = extensionStatus(this.state, peer.extension);
        this.respond(slot, message, { status: peer.knownStatus });
        return undefined;
      case 'call':
        return this.call(slot, peer, message);
      case 'answer':
        return this.answer(slot, peer, message);
      case 'end':
        return this.end(slot, peer, message);
      case 'signal':
        return this.signal(peer, message);
      default:
        throw new Error(`The model has no rule for ${JSON.stringify(message)}.`);
    }
  }

  private init(slot: number, peer: ModelPeer, message: WireObject): undefined {
    if (peer.peerId === undefined) peer.peerId = `§peer${++this.state.issuedPeers}`;
    peer.knownStatus = extensionStatus(this.state, peer.extension);
    this.respond(slot, message, { status: peer.knownStatus, peerId: peer.peerId });
    return undefined;
  }

  private register(slot: number, peer: ModelPeer, message: WireObject): WireObject | undefined {
    if (peer.session?.role === 'caller') return error('busy', message);
    const extension = this.state.extensions.find((candidate) => candidate.id === peer.extension);
    if (message.password !== extension?.password) {
      // docs/protocol.md: a refused register leaves even a registered peer unregistered.
      this.respond(slot, message, { status: 'unregistered', reason: 'bad-password' });
      this.leaveRegistered(peer);
      return undefined;
    }
    this.respond(slot, message, { status: 'registered' });
    if (peer.registered) return undefined; // catch-up ringing only for a peer that just became registered
    const wasOffline = extensionStatus(this.state, peer.extension) === 'offline';
    peer.registered = true;
    peer.knownStatus = 'ready';
    for (const call of this.ringingCalls(peer.extension)) this.ring(slot, peer, call);
    if (wasOffline) this.announceStatus(peer.extension, 'ready');
    return undefined;
  }

  private call(slot: number, peer: ModelPeer, message: WireObject): WireObject | undefined {
    if (peer.registered) return error('forbidden', message);
    if (peer.session !== undefined) return error('busy', message);
    if (extensionStatus(this.state, peer.extension) === 'offline') {
      this.respond(slot, message, { status: 'unavailable' });
      return undefined;
    }
    const call: ModelCall = {
      callId: `§call${++this.state.issuedCalls}`,
      extension: peer.extension,
      callerSlot: slot,
      state: 'ringing',
      createdAt: this.state.now,
      ...(typeof message.name === 'string' ? { name: message.name } : {}),
    };
    this.state.calls.push(call);
    peer.session = { callId: call.callId, role: 'caller' };
    this.respond(slot, message, { status: 'ringing', callId: call.callId });
    this.forEachPeer(call.extension, (agentSlot, agent) => {
      if (agent.registered) this.ring(agentSlot, agent, call);
    });
    return undefined;
  }

  private answer(slot: number, peer: ModelPeer, message: WireObject): WireObject | undefined {
    if (!peer.registered) return error('forbidden', message);
    if (peer.session !== undefined) return error('busy', message);
    const callId = message.callId as string;
    const call = this.state.calls.find((candidate) => candidate.callId === callId);
    if (call === undefined || call.state !== 'ringing' || call.extension !== peer.extension) {
      this.respond(slot, message, { status: 'unavailable', callId });
      return undefined;
    }
    call.state = 'connected';
    call.answererSlot = slot;
    peer.session = { callId, role: 'answerer' };
    // The winner's response comes before its `claimed`, and before any signal of the call.
    this.respond(slot, message, { status: 'connected', callId });
    this.deliver(call.callerSlot, sessionEvent('connected', callId));
    this.tellAgentsCallEnded(call, 'claimed');
    return undefined;
  }

  private end(slot: number, peer: ModelPeer, message: WireObject): undefined {
    const callId = message.callId as string;
    this.respond(slot, message, { status: 'disconnected', callId });
    if (peer.session?.callId === callId) this.leaveSession(slot, 'hangup');
    return undefined;
  }

  private signal(peer: ModelPeer, message: WireObject): WireObject | undefined {
    const callId = message.callId as string;
    const call = this.state.calls.find((candidate) => candidate.callId === callId);
    if (peer.session?.callId !== callId || call?.state !== 'connected') return error('unknown-call', message);
    const otherSlot = peer.session.role === 'caller' ? call.answererSlot : call.callerSlot;
    // Relayed as the same JSON value (docs/protocol.md); compared as parsed values.
    this.deliver(otherSlot as number, { type: 'signal', callId, data: message.data });
    return undefined;
  }

  /** Section 6: as if the peer had sent `end` for its session and then `deregister`. */
  disconnect(slot: number): void {
    const peer = this.peer(slot);
    if (peer.session !== undefined) this.leaveSession(slot, 'dropped');
    this.state.peers[slot] = undefined;
    if (peer.registered) {
      peer.registered = false;
      if (extensionStatus(this.state, peer.extension) === 'offline') {
        this.announceStatus(peer.extension, 'offline');
      }
    }
  }

  expire(callId: string): void {
    const call = this.state.calls.find((candidate) => candidate.callId === callId);
    if (call?.state !== 'ringing') return;
    call.state = 'over';
    const caller = this.peer(call.callerSlot);
    caller.session = undefined;
    this.tellAgentsCallEnded(call, 'abandoned');
    this.deliver(call.callerSlot, sessionEvent('disconnected', callId, { reason: 'timeout' }));
  }

  /** The peer leaves its session: a ringing call is abandoned, a connected one's other party hears it. */
  private leaveSession(slot: number, reason: 'hangup' | 'dropped'): void {
    const peer = this.peer(slot);
    const callId = peer.session?.callId as string;
    const call = this.state.calls.find((candidate) => candidate.callId === callId) as ModelCall;
    peer.session = undefined;
    if (call.state === 'ringing') {
      call.state = 'over';
      this.tellAgentsCallEnded(call, 'abandoned');
      return;
    }
    call.state = 'over';
    const otherSlot = (slot === call.callerSlot ? call.answererSlot : call.callerSlot) as number;
    const other = this.peer(otherSlot);
    other.session = undefined;
    this.deliver(otherSlot, sessionEvent('disconnected', callId, { reason }));
  }

  private leaveRegistered(peer: ModelPeer): void {
    if (!peer.registered) return;
    peer.registered = false;
    peer.heardRinging = [];
    if (extensionStatus(this.state, peer.extension) === 'offline')
      this.announceStatus(peer.extension, 'offline');
  }

  /** `claimed` or `abandoned` to every registered peer that heard the call ring. */
  private tellAgentsCallEnded(call: ModelCall, status: 'claimed' | 'abandoned'): void {
    this.forEachPeer(call.extension, (agentSlot, agent) => {
      if (!agent.registered || !agent.heardRinging.includes(call.callId)) return;
      agent.heardRinging = agent.heardRinging.filter((callId) => callId !== call.callId);
      this.deliver(agentSlot, sessionEvent(status, call.callId));
    });
  }

  private ring(slot: number, agent: ModelPeer, call: ModelCall): void {
    agent.heardRinging.push(call.callId);
    this.deliver(
      slot,
      sessionEvent('ringing', call.callId, call.name === undefined ? {} : { name: call.name }),
    );
  }

  /** Readiness events go to initialized unregistered peers of the extension that do not know it yet. */
  private announceStatus(extension: string, status: ExtensionStatus): void {
    this.forEachPeer(extension, (slot, peer) => {
      if (peer.peerId === undefined || peer.registered || peer.knownStatus === status) return;
      peer.knownStatus = status;
      this.deliver(slot, { type: 'event', topic: 'extension', status });
    });
  }

  private ringingCalls(extension: string): ModelCall[] {
    return this.state.calls.filter((call) => call.extension === extension && call.state === 'ringing');
  }

  private forEachPeer(extension: string, visit: (slot: number, peer: ModelPeer) => void): void {
    this.state.peers.forEach((peer, slot) => {
      if (peer?.extension === extension) visit(slot, peer);
    });
  }

  private peer(slot: number): ModelPeer {
    const peer = this.state.peers[slot];
    if (peer === undefined)
      throw new Error(`The model was given an event for slot ${slot}, which has no peer.`);
    return peer;
  }

  private respond(slot: number, request: WireObject, body: WireObject): void {
    this.deliver(slot, { type: 'response', request: request.type, ...idOf(request), ...body });
  }

  private deliver(slot: number, message: WireObject): void {
    // A message to a peer whose connection is gone is not received by anyone.
    if (this.state.peers[slot] !== undefined) this.deliveries.push({ slot, message });
  }
}

function error(code: string, request: WireObject): WireObject {
  return { type: 'error', code, message: ANY_TEXT, request: request.type, ...idOf(request) };
}

function sessionEvent(status: string, callId: string, extra: WireObject = {}): WireObject {
  return { type: 'event', topic: 'session', status, callId, ...extra };
}

function idOf(request: WireObject): WireObject {
  return request.id === undefined ? {} : { id: request.id };
}
