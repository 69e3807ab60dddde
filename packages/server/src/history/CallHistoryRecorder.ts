import type { Logger } from 'pino';
import type { CallObserver } from '../core/CallObserver.js';
import type { EndedCall } from '../core/EndedCall.js';
import type { CallRecord } from '../core/SwitchboardBackend.js';
import type { CallHistoryStore } from '../store/CallHistoryStore.js';

/** What the recorder counts (see `ServerMetrics`). */
export interface CallMetrics {
  callAnswered(ringMs: number): void;
  callEnded(call: EndedCall): void;
  historyWriteFailed(): void;
}

/**
 * More writes than this waiting for the store means it is down or far too slow: further calls are
 * logged and counted as failed writes rather than held in memory without bound.
 */
const MAX_PENDING_WRITES = 10_000;

/**
 * Logs every call placed, answered and ended, counts them, and writes each ended call to the history
 * (issue 10). Never on the call path: a write runs detached, so a slow or failing store delays no
 * message; its failure is logged and counted (`pbx_peers_history_write_failures_total`).
 */
export class CallHistoryRecorder implements CallObserver {
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly store: CallHistoryStore,
    private readonly metrics: CallMetrics,
    private readonly log: Logger,
  ) {}

  placed(call: CallRecord): void {
    this.log.info(
      { callId: call.callId, extensionId: call.extensionId, callerName: call.name },
      'call placed',
    );
  }

  answered(call: CallRecord): void {
    const ringMs = Math.max(0, (call.answeredAt ?? call.ringingAt) - call.ringingAt);
    this.metrics.callAnswered(ringMs);
    this.log.info(
      { callId: call.callId, extensionId: call.extensionId, agentName: call.answererName, ringMs },
      'call answered',
    );
  }

  ended(call: EndedCall): void {
    this.metrics.callEnded(call);
    const { callId, extensionId, outcome, endedBy, ringingAt, answeredAt, endedAt } = call;
    this.log.info(
      {
        callId,
        extensionId,
        outcome,
        endedBy,
        ringMs: (answeredAt ?? endedAt) - ringingAt,
        ...(answeredAt === undefined ? {} : { talkMs: endedAt - answeredAt }),
      },
      'call ended',
    );
    if (this.#pending.size >= MAX_PENDING_WRITES) {
      this.metrics.historyWriteFailed();
      this.log.error(
        { callId, extensionId, pending: this.#pending.size },
        'call history backlog full; call not recorded',
      );
      return;
    }
    const write = this.store.recordCall(call).then(
      () => {},
      (err: unknown) => {
        this.metrics.historyWriteFailed();
        this.log.error({ err, callId, extensionId }, 'could not write the call to the history');
      },
    );
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
  }

  /** Settles once the writes under way have (at shutdown, before the store closes). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}
