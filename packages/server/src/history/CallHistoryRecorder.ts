import type { Logger } from 'pino';
import { DetachedWrites } from '../async/DetachedWrites.js';
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
/** How long a write the store refuses is tried again (`DetachedWrites`): a store down this long loses. */
const RETRY_WRITES_FOR_MS = 3_600_000;

/**
 * Logs every call placed, answered and ended, counts them, and writes each ended call to the history
 * (issue 10). Never on the call path: a write runs detached, so a slow or failing store delays no
 * message; a failed write is logged, counted (`pbx_peers_history_write_failures_total`, each attempt)
 * and tried again with backoff for an hour (a call's record is written once, so a retry is safe).
 */
export class CallHistoryRecorder implements CallObserver {
  readonly #writes = new DetachedWrites({ retryForMs: RETRY_WRITES_FOR_MS, maxHeld: MAX_PENDING_WRITES });

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
    const write = this.#writes.run(
      () => this.store.recordCall(call),
      ({ error, attempt, retryInMs }) => {
        this.metrics.historyWriteFailed();
        const fields = { err: error, callId, extensionId, attempt };
        if (retryInMs === undefined) this.log.error(fields, 'could not write the call to the history');
        else this.log.warn({ ...fields, retryInMs }, 'could not write the call to the history; will retry');
      },
    );
    if (write === undefined) {
      this.metrics.historyWriteFailed();
      this.log.error(
        { callId, extensionId, pending: this.#writes.held },
        'call history backlog full; call not recorded',
      );
    }
  }

  /**
   * Settles once the writes under way have (at shutdown, before the store closes); a write waiting to be
   * tried again gets one last try.
   */
  flush(): Promise<void> {
    return this.#writes.flush();
  }
}
