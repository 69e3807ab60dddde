import type { ClientMessage, ServerMessage } from '@pbx-peers/protocol';
import { MemoryBackend } from '../../src/backend/MemoryBackend.js';
import type { PeerLink } from '../../src/core/PeerLink.js';
import type { AttachedPeer } from '../../src/core/Switchboard.js';
import { Switchboard } from '../../src/core/Switchboard.js';
import type { SwitchboardBackend } from '../../src/core/SwitchboardBackend.js';
import { FlexibleRegisterAttemptLimiter } from '../../src/limits/FlexibleRegisterAttemptLimiter.js';
import { FakeClock } from './FakeClock.js';

export const EXTENSION = 'ext-1';
export const PASSWORD = 'right password';

/** A peer attached to the switchboard through a recording link instead of a socket. */
export class FakePeer {
  readonly received: ServerMessage[] = [];
  closedWith: { code: number; reason: string } | undefined;
  peerId = '';
  readonly attached: AttachedPeer;
  readonly link: PeerLink;
  private nextId = 1;

  constructor(switchboard: Switchboard, extensionId = EXTENSION, address = '10.0.0.1') {
    this.link = {
      clientAddress: address,
      send: (message) => this.received.push(message),
      relaySignal: (callId, dataJson) =>
        this.received.push({ type: 'signal', callId, data: JSON.parse(dataJson) }),
      close: (code, reason) => {
        this.closedWith = { code, reason };
      },
    };
    this.attached = switchboard.attach(extensionId, this.link);
  }

  /** The connection ends: `dropped` without a close frame from the client (it may resume), else closed. */
  detach(dropped = false): void {
    this.attached.detach(dropped, this.link);
  }

  /** Hands a message to the core as the transport would: a signal with its data's JSON text. */
  send(message: ClientMessage): void {
    this.attached.receive(
      message.type === 'signal' ? { ...message, dataJson: JSON.stringify(message.data) } : message,
    );
  }

  /** Sends a request and returns what came back for its id once the core has settled. */
  async request(message: Record<string, unknown>): Promise<ServerMessage> {
    const id = this.nextId++;
    this.send({ peerId: this.peerId, ...message, id } as ClientMessage);
    await settle();
    const reply = this.received.find((m) => (m.type === 'response' || m.type === 'error') && m.id === id);
    if (reply === undefined) throw new Error(`no reply to ${JSON.stringify(message)}`);
    return reply;
  }

  async init(): Promise<this> {
    const reply = await this.request({ type: 'init' });
    if (reply.type !== 'response' || reply.request !== 'init') throw new Error('init failed');
    this.peerId = reply.peerId;
    return this;
  }

  /** Session and extension events and signals, without responses. */
  get events(): ServerMessage[] {
    return this.received.filter((m) => m.type === 'event' || m.type === 'signal');
  }

  sessionStatuses(callId?: string): string[] {
    return this.received.flatMap((m) =>
      m.type === 'event' && m.topic === 'session' && (callId === undefined || m.callId === callId)
        ? [m.status]
        : [],
    );
  }

  clear(): void {
    this.received.length = 0;
  }
}

/** Lets every pending promise and immediate run, so the core has finished what it was given. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

export interface Harness {
  switchboard: Switchboard;
  clock: FakeClock;
  backend: SwitchboardBackend;
  internalErrors: unknown[];
  peer(extensionId?: string, address?: string): FakePeer;
}

export function createHarness(
  options: { ringTimeoutMs?: number; resumeGraceMs?: number; backend?: SwitchboardBackend } = {},
): Harness {
  const clock = new FakeClock();
  const backend = options.backend ?? new MemoryBackend();
  const internalErrors: unknown[] = [];
  let ids = 0;
  let tokens = 0;
  const switchboard = new Switchboard({
    backend,
    clock,
    directory: { checkPassword: async (_extension, password) => password === PASSWORD },
    registerLimiter: FlexibleRegisterAttemptLimiter.inMemory(3, 900),
    newId: () => `id-${++ids}`,
    newToken: () => `token-${++tokens}`,
    ringTimeoutMs: options.ringTimeoutMs ?? 60_000,
    resumeGraceMs: options.resumeGraceMs ?? 0,
    onInternalError: (error) => internalErrors.push(error),
  });
  return {
    switchboard,
    clock,
    backend,
    internalErrors,
    peer: (ext, address) => new FakePeer(switchboard, ext, address),
  };
}
