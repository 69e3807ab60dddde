import type { Audience, Notice, NoticeSink } from '../core/Notice.js';
import type { PeerHandover } from '../core/PeerHandover.js';
import type {
  Answerer,
  CallEnding,
  CallRecord,
  ClaimResult,
  EndResult,
  LiveView,
  NewCall,
  OutgoingSignal,
  PlaceResult,
  PresenceChange,
  Registration,
  SignalRefusal,
  StatusReading,
  SwitchboardBackend,
} from '../core/SwitchboardBackend.js';

interface StoredCall {
  record: CallRecord;
  /** Undefined while ringing. */
  answererPeerId: string | undefined;
}

interface ExtensionState {
  /** Registered peer id -> the name it registered with, if any. */
  registered: Map<string, string | undefined>;
  calls: Map<string, StoredCall>;
}

/**
 * The single-process backend. Every operation completes synchronously inside the returned promise's
 * executor, so each one is atomic with respect to every other, and the notices it causes are handed to
 * the sink before it returns, in order.
 */
export class MemoryBackend implements SwitchboardBackend {
  private readonly extensions = new Map<string, ExtensionState>();
  private sink: NoticeSink | undefined;
  /**
   * One sequence for every extension: numbers only need to grow per extension, and a shared counter
   * keeps growing when an idle extension's state is forgotten.
   */
  private seq = 0;

  connect(sink: NoticeSink): void {
    this.sink = sink;
  }

  async watch(): Promise<void> {}

  unwatch(): void {}

  async addRegistered(extensionId: string, peerId: string, name?: string): Promise<Registration> {
    const state = this.stateOf(extensionId);
    const changed = !state.registered.has(peerId);
    state.registered.set(peerId, name);
    if (changed && state.registered.size === 1) this.announceStatus(extensionId, 'ready');
    const ringingCalls = [...state.calls.values()]
      .filter((call) => call.answererPeerId === undefined)
      .map((call) => call.record)
      .sort((a, b) => a.order - b.order);
    return { changed, status: 'ready', seq: this.seq, ringingCalls };
  }

  async removeRegistered(extensionId: string, peerId: string): Promise<PresenceChange> {
    const state = this.extensions.get(extensionId);
    const changed = state?.registered.delete(peerId) ?? false;
    const count = state?.registered.size ?? 0;
    if (changed && count === 0) this.announceStatus(extensionId, 'offline');
    if (state !== undefined) this.forgetIfEmpty(extensionId, state);
    return { changed, status: count > 0 ? 'ready' : 'offline', seq: this.seq };
  }

  async status(extensionId: string): Promise<StatusReading> {
    const count = this.extensions.get(extensionId)?.registered.size ?? 0;
    return { status: count > 0 ? 'ready' : 'offline', seq: this.seq };
  }

  async liveView(extensionId: string): Promise<LiveView> {
    const state = this.extensions.get(extensionId);
    if (state === undefined) return { agents: [], calls: [] };
    const agents = [...state.registered].map(([peerId, name]) =>
      name === undefined ? { peerId } : { peerId, name },
    );
    const calls = [...state.calls.values()]
      .map(({ record, answererPeerId }) =>
        answererPeerId === undefined ? record : { ...record, answererPeerId },
      )
      .sort((a, b) => a.order - b.order);
    return { agents, calls };
  }

  async placeCall(call: NewCall): Promise<PlaceResult> {
    const state = this.extensions.get(call.extensionId);
    if (state === undefined || state.registered.size === 0) return { outcome: 'unavailable' };
    const record: CallRecord = { ...call, order: ++this.seq };
    state.calls.set(call.callId, { record, answererPeerId: undefined });
    this.publish(call.extensionId, REGISTERED, {
      kind: 'ringing',
      callId: call.callId,
      ...(call.name === undefined ? {} : { name: call.name }),
    });
    return { outcome: 'ringing', call: record };
  }

  async claimCall(extensionId: string, callId: string, answerer: Answerer): Promise<ClaimResult> {
    const call = this.extensions.get(extensionId)?.calls.get(callId);
    if (call === undefined || call.answererPeerId !== undefined) return { outcome: 'not-ringing' };
    const answererPeerId = answerer.peerId;
    const name = answerer.name === undefined ? {} : { name: answerer.name };
    call.answererPeerId = answererPeerId;
    call.record = {
      ...call.record,
      answeredAt: answerer.answeredAt,
      ...(answerer.name === undefined ? {} : { answererName: answerer.name }),
    };
    this.publish(extensionId, peer(call.record.callerPeerId), {
      kind: 'connected',
      callId,
      answererPeerId,
      ...name,
    });
    this.publish(extensionId, REGISTERED, { kind: 'claimed', callId, ...name });
    return { outcome: 'claimed', call: call.record };
  }

  async endCall(extensionId: string, callId: string, ending: CallEnding): Promise<EndResult> {
    const state = this.extensions.get(extensionId);
    const call = state?.calls.get(callId);
    if (state === undefined || call === undefined) return { outcome: 'not-found' };
    const { answererPeerId, record } = call;
    if (ending.reason === 'timeout' && answererPeerId !== undefined) return { outcome: 'not-found' };
    state.calls.delete(callId);
    this.forgetIfEmpty(extensionId, state);
    if (answererPeerId === undefined) {
      this.publish(extensionId, REGISTERED, { kind: 'abandoned', callId });
      if (ending.reason === 'timeout') {
        this.publish(extensionId, peer(record.callerPeerId), {
          kind: 'disconnected',
          callId,
          reason: 'timeout',
        });
      }
      return { outcome: 'was-ringing', call: record };
    }
    if (ending.reason !== 'timeout') {
      const otherPeerId = ending.peerId === record.callerPeerId ? answererPeerId : record.callerPeerId;
      this.publish(extensionId, peer(otherPeerId), { kind: 'disconnected', callId, reason: ending.reason });
    }
    return { outcome: 'was-connected', call: record, answererPeerId };
  }

  async relaySignal(extensionId: string, signal: OutgoingSignal): Promise<void> {
    const { toPeerId, ...notice } = signal;
    const call = this.extensions.get(extensionId)?.calls.get(signal.callId);
    const inCall =
      call?.answererPeerId !== undefined &&
      (toPeerId === call.answererPeerId || toPeerId === call.record.callerPeerId);
    if (inCall) this.publish(extensionId, peer(toPeerId), { kind: 'signal', ...notice });
    else this.refuseNow(extensionId, notice);
  }

  async refuseSignal(extensionId: string, refusal: SignalRefusal): Promise<void> {
    this.refuseNow(extensionId, refusal);
  }

  /** One process: there is no other to hand a peer to. */
  readonly handsOverPeers = false;

  async offerResumable(): Promise<void> {}

  withdrawResumable(): void {}

  /** One process: nothing survives it, so there is nobody to take its peers on. */
  recordResumable(): void {}

  forgetResumable(): void {}

  keepForAbsent(): void {}

  async takeResumable(): Promise<PeerHandover | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    this.extensions.clear();
  }

  private refuseNow(extensionId: string, { callId, senderPeerId, id }: SignalRefusal): void {
    this.publish(extensionId, peer(senderPeerId), {
      kind: 'signal-refused',
      callId,
      ...(id === undefined ? {} : { id }),
    });
  }

  private announceStatus(extensionId: string, status: 'ready' | 'offline'): void {
    this.publish(extensionId, UNREGISTERED, { kind: 'extension', status, seq: ++this.seq });
  }

  private publish(extensionId: string, audience: Audience, notice: Notice): void {
    this.sink?.deliver(extensionId, audience, notice);
  }

  private stateOf(extensionId: string): ExtensionState {
    let state = this.extensions.get(extensionId);
    if (state === undefined) {
      state = { registered: new Map(), calls: new Map() };
      this.extensions.set(extensionId, state);
    }
    return state;
  }

  private forgetIfEmpty(extensionId: string, state: ExtensionState): void {
    if (state.registered.size === 0 && state.calls.size === 0) this.extensions.delete(extensionId);
  }
}

const REGISTERED: Audience = { kind: 'registered' };
const UNREGISTERED: Audience = { kind: 'unregistered' };

function peer(peerId: string): Audience {
  return { kind: 'peer', peerId };
}
