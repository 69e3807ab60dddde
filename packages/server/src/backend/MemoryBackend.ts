import type { Audience, Notice, NoticeHandler } from '../core/Notice.js';
import type {
  CallCounts,
  CallRecord,
  ClaimResult,
  EndResult,
  PresenceChange,
  Registration,
  SwitchboardBackend,
} from '../core/SwitchboardBackend.js';

interface StoredCall {
  record: CallRecord;
  /** Undefined while ringing. */
  answererPeerId: string | undefined;
}

interface ExtensionState {
  registered: Set<string>;
  calls: Map<string, StoredCall>;
}

/**
 * The single-process backend. Every operation completes synchronously inside the returned promise's
 * executor, so each one is atomic with respect to every other; notices are handed to the handler
 * synchronously, in publish order.
 */
export class MemoryBackend implements SwitchboardBackend {
  private readonly extensions = new Map<string, ExtensionState>();
  private readonly handlers: NoticeHandler[] = [];

  async addRegistered(extensionId: string, peerId: string): Promise<Registration> {
    const state = this.stateOf(extensionId);
    const changed = !state.registered.has(peerId);
    state.registered.add(peerId);
    const ringingCalls = [...state.calls.values()]
      .filter((call) => call.answererPeerId === undefined)
      .map((call) => call.record)
      .sort((a, b) => a.createdAt - b.createdAt);
    return { changed, registeredCount: state.registered.size, ringingCalls };
  }

  async removeRegistered(extensionId: string, peerId: string): Promise<PresenceChange> {
    const state = this.extensions.get(extensionId);
    const changed = state?.registered.delete(peerId) ?? false;
    const registeredCount = state?.registered.size ?? 0;
    if (state !== undefined) this.forgetIfEmpty(extensionId, state);
    return { changed, registeredCount };
  }

  async registeredCount(extensionId: string): Promise<number> {
    return this.extensions.get(extensionId)?.registered.size ?? 0;
  }

  async createCall(call: CallRecord): Promise<void> {
    this.stateOf(call.extensionId).calls.set(call.callId, { record: call, answererPeerId: undefined });
  }

  async claimCall(extensionId: string, callId: string, answererPeerId: string): Promise<ClaimResult> {
    const call = this.extensions.get(extensionId)?.calls.get(callId);
    if (call === undefined || call.answererPeerId !== undefined) return { outcome: 'not-ringing' };
    call.answererPeerId = answererPeerId;
    return { outcome: 'claimed', call: call.record };
  }

  async endCall(extensionId: string, callId: string, onlyIfRinging = false): Promise<EndResult> {
    const state = this.extensions.get(extensionId);
    const call = state?.calls.get(callId);
    if (state === undefined || call === undefined) return { outcome: 'not-found' };
    if (onlyIfRinging && call.answererPeerId !== undefined) return { outcome: 'not-found' };
    state.calls.delete(callId);
    this.forgetIfEmpty(extensionId, state);
    return call.answererPeerId === undefined
      ? { outcome: 'was-ringing', call: call.record }
      : { outcome: 'was-connected', call: call.record, answererPeerId: call.answererPeerId };
  }

  async callCounts(): Promise<CallCounts> {
    const counts: CallCounts = { ringing: 0, connected: 0 };
    for (const state of this.extensions.values()) {
      for (const call of state.calls.values()) {
        if (call.answererPeerId === undefined) counts.ringing++;
        else counts.connected++;
      }
    }
    return counts;
  }

  publish(extensionId: string, audience: Audience, notice: Notice): void {
    for (const handler of this.handlers) handler(extensionId, audience, notice);
  }

  onNotice(handler: NoticeHandler): void {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {
    this.extensions.clear();
  }

  private stateOf(extensionId: string): ExtensionState {
    let state = this.extensions.get(extensionId);
    if (state === undefined) {
      state = { registered: new Set(), calls: new Map() };
      this.extensions.set(extensionId, state);
    }
    return state;
  }

  private forgetIfEmpty(extensionId: string, state: ExtensionState): void {
    if (state.registered.size === 0 && state.calls.size === 0) this.extensions.delete(extensionId);
  }
}
