/**
 * The Live page without a browser: what each extension shows (agents signed in, calls ringing and
 * connected with their durations) from `GET /admin/api/live`, and the poller that asks every 2 s while
 * the page is shown, one request at a time. Pure but for the timer functions it is given.
 */
import { formatDuration } from '../shared/formatDuration.js';
import type { ApiResult, LiveExtension } from './adminData.js';
import { partyName } from './adminModel.js';

export const LIVE_POLL_MS = 2_000;

export interface LiveCallLine {
  callId: string;
  /** "Ann", or "Ann with Alice". */
  who: string;
  /** "0:12". */
  duration: string;
}

export interface LiveCard {
  id: string;
  name: string;
  /** "2 agents signed in · 1 ringing · 1 connected". */
  summary: string;
  /** ready: agents signed in; offline: none. */
  state: 'ready' | 'offline';
  agents: string[];
  ringing: LiveCallLine[];
  connected: LiveCallLine[];
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The cards, durations as the server counted them plus the time since it answered (`fetchedAt`, `now` in
 * ms), so that they keep counting between polls.
 */
export function liveCards(extensions: readonly LiveExtension[], fetchedAt: number, now: number): LiveCard[] {
  const since = Math.max(0, now - fetchedAt);
  const duration = (seconds: number) => formatDuration(seconds * 1000 + since);
  return extensions.map((extension) => {
    const agents = extension.agents.map((agent) => partyName(agent.name, 'agent'));
    const parts = [count(agents.length, 'agent signed in', 'agents signed in')];
    if (extension.ringing.length > 0) parts.push(`${extension.ringing.length} ringing`);
    if (extension.connected.length > 0) parts.push(`${extension.connected.length} connected`);
    return {
      id: extension.id,
      name: extension.name,
      summary: parts.join(' · '),
      state: agents.length > 0 ? 'ready' : 'offline',
      agents,
      ringing: extension.ringing.map((call) => ({
        callId: call.callId,
        who: partyName(call.callerName, 'caller'),
        duration: duration(call.ringingSeconds),
      })),
      connected: extension.connected.map((call) => ({
        callId: call.callId,
        who: `${partyName(call.callerName, 'caller')} with ${partyName(call.agentName, 'agent')}`,
        duration: duration(call.connectedSeconds),
      })),
    };
  });
}

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  now(): number;
}

export const browserTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/**
 * Asks for the live view at once and then `LIVE_POLL_MS` after each answer (so a slow server is never
 * asked twice at a time), until stopped. Each answer goes to `onResult` with the time it came; answers
 * that arrive after `stop` are dropped.
 */
export class LivePoller {
  readonly #fetch: () => Promise<ApiResult<LiveExtension[]>>;
  readonly #onResult: (result: ApiResult<LiveExtension[]>, at: number) => void;
  readonly #timers: Timers;
  #generation = 0;
  #running = false;
  #timer: unknown;

  constructor(
    fetch: () => Promise<ApiResult<LiveExtension[]>>,
    onResult: (result: ApiResult<LiveExtension[]>, at: number) => void,
    timers: Timers = browserTimers,
  ) {
    this.#fetch = fetch;
    this.#onResult = onResult;
    this.#timers = timers;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#generation += 1;
    void this.#poll(this.#generation);
  }

  stop(): void {
    this.#running = false;
    this.#generation += 1;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }

  async #poll(generation: number): Promise<void> {
    this.#timer = undefined;
    let result: ApiResult<LiveExtension[]>;
    try {
      result = await this.#fetch();
    } catch {
      result = { ok: false, problem: 'failed' };
    }
    if (generation !== this.#generation) return;
    this.#onResult(result, this.#timers.now());
    // The session is gone: nothing to poll for until signed in again.
    if (!result.ok && result.problem === 'unauthorized') {
      this.stop();
      return;
    }
    if (generation !== this.#generation) return;
    this.#timer = this.#timers.set(() => void this.#poll(generation), LIVE_POLL_MS);
  }
}
