import type { ClientMessageType, ServerMessage, ServerMessageType } from '@pbx-peers/protocol';
import { collectDefaultMetrics, Gauge, Histogram, Counter as PromCounter, Registry } from 'prom-client';
import type { EndedCall } from '../core/EndedCall.js';
import type { LocalPeerCounts } from '../core/Switchboard.js';
import type { CallMetrics } from '../history/CallHistoryRecorder.js';
import type { WebhookAttemptResult } from '../webhooks/WebhookDispatcher.js';

/** What the gauges read at scrape time. */
export interface MetricsSources {
  localPeerCounts(): LocalPeerCounts;
}

/** Frames that did not become a message: not JSON, not valid, binary, over the rate. */
type RejectedInput = 'invalid';

/** Why the server itself cut a connection off (each is logged at debug too). */
export type ConnectionCutReason =
  /** It did not answer the previous ping (protocol section 1). */
  | 'unresponsive'
  /** More unsent output was waiting for it than `--max-buffered-bytes`: it is not reading. */
  | 'output-overflow'
  /** Its unsent output made no progress between two pings: it is not reading. */
  | 'output-stuck';

/**
 * Prometheus metrics, counted at the edge from the wire messages themselves, so the core carries no
 * instrumentation. The per-message counters are plain tallies on the relay path (prom-client hashes and
 * validates the label set on every `inc()`, even through a label child); each scrape folds the tallies
 * into the counters, so `/metrics` shows the same series with the same values.
 */
export class ServerMetrics implements CallMetrics {
  readonly registry = new Registry();
  private readonly messagesIn = new Map<ClientMessageType | RejectedInput, number>();
  private readonly messagesOut = new Map<ServerMessageType, number>();
  private readonly errors: PromCounter<'code'>;
  private readonly registerFailures: PromCounter<'reason'>;
  private readonly connectionsCut: PromCounter<'reason'>;
  private unansweredDrops = 0;
  private readonly calls: PromCounter<'outcome'>;
  private readonly ringSeconds: Histogram;
  private readonly callSeconds: Histogram;
  private readonly historyWriteFailures: PromCounter;
  private readonly callbackRequests: PromCounter;
  private readonly webhookAttempts: PromCounter<'result'>;

  constructor(sources: MetricsSources, labels: { node: string }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'pbx_peers_' });

    const peerGauge = (name: string, help: string, pick: (counts: LocalPeerCounts) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(sources.localPeerCounts()));
        },
      });
    peerGauge('pbx_peers_connections', 'Open WebSocket connections on this process.', (c) => c.connections);
    peerGauge('pbx_peers_initialized_peers', 'Initialized peers on this process.', (c) => c.initialized);
    peerGauge(
      'pbx_peers_registered_peers',
      'Registered peers (agents) on this process.',
      (c) => c.registered,
    );
    new Gauge({
      name: 'pbx_peers_calls',
      help: "Calls by state whose caller is on this process; the sum over a cluster's processes is its total.",
      labelNames: ['state'],
      registers,
      collect() {
        const counts = sources.localPeerCounts();
        this.set({ state: 'ringing' }, counts.ringingCalls);
        this.set({ state: 'connected' }, counts.connectedCalls);
      },
    });

    tallyCounter(
      'pbx_peers_messages_in_total',
      'Messages received, by type; "invalid" for frames rejected at the edge.',
      registers,
      this.messagesIn,
    );
    tallyCounter(
      'pbx_peers_messages_out_total',
      'Messages sent, by type (response, event, signal, error).',
      registers,
      this.messagesOut,
    );
    this.errors = new PromCounter({
      name: 'pbx_peers_errors_total',
      help: 'Protocol errors sent, by code.',
      labelNames: ['code'],
      registers,
    });
    this.registerFailures = new PromCounter({
      name: 'pbx_peers_register_failures_total',
      help: 'Register attempts answered unregistered, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.connectionsCut = new PromCounter({
      name: 'pbx_peers_connections_cut_total',
      help: 'Connections the server terminated, by reason: unresponsive, output-overflow, output-stuck.',
      labelNames: ['reason'],
      registers,
    });
    // Each call is counted by the one process that ended (or answered) it, so a cluster's sum is its total.
    this.calls = new PromCounter({
      name: 'pbx_peers_calls_total',
      help: 'Calls ended, by outcome: answered, dropped, abandoned, timeout.',
      labelNames: ['outcome'],
      registers,
    });
    this.ringSeconds = new Histogram({
      name: 'pbx_peers_call_ring_seconds',
      help: 'How long answered calls rang before an agent answered.',
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    });
    this.callSeconds = new Histogram({
      name: 'pbx_peers_call_duration_seconds',
      help: 'How long answered calls lasted, from the answer to the end.',
      buckets: [10, 30, 60, 120, 300, 600, 1_200, 1_800, 3_600, 7_200],
      registers,
    });
    this.historyWriteFailures = new PromCounter({
      name: 'pbx_peers_history_write_failures_total',
      help: 'Failed attempts to write an ended call to the call history (store down or slow; each is tried again for an hour), and calls dropped for a full backlog.',
      registers,
    });
    this.webhookAttempts = new PromCounter({
      name: 'pbx_peers_webhook_attempts_total',
      help: 'Webhook deliveries tried by this process, by result: delivered, retrying, abandoned.',
      labelNames: ['result'],
      registers,
    });
    this.callbackRequests = new PromCounter({
      name: 'pbx_peers_callback_requests_total',
      help: 'Callback requests left by callers.',
      registers,
    });
    const metrics = this;
    new PromCounter({
      name: 'pbx_peers_unanswered_drops_total',
      help: 'Frames over the rate dropped without a rate-limited answer (the first of each run is answered).',
      registers,
      collect() {
        this.reset();
        this.inc(metrics.unansweredDrops);
      },
    });
  }

  callAnswered(ringMs: number): void {
    this.ringSeconds.observe(ringMs / 1000);
  }

  callEnded(call: EndedCall): void {
    this.calls.labels(call.outcome).inc();
    if (call.answeredAt !== undefined) this.callSeconds.observe((call.endedAt - call.answeredAt) / 1000);
  }

  historyWriteFailed(): void {
    this.historyWriteFailures.inc();
  }

  webhookAttempt(result: WebhookAttemptResult): void {
    this.webhookAttempts.labels(result).inc();
  }

  callbackRequested(): void {
    this.callbackRequests.inc();
  }

  /** A frame over the rate that was dropped without an answer (one answer per run of drops is sent). */
  unansweredDrop(): void {
    this.unansweredDrops++;
  }

  connectionCut(reason: ConnectionCutReason): void {
    this.connectionsCut.labels(reason).inc();
  }

  messageIn(type: ClientMessageType | RejectedInput): void {
    this.messagesIn.set(type, (this.messagesIn.get(type) ?? 0) + 1);
  }

  /** A relayed signal (written from its text, so there is no message object to count). */
  signalOut(): void {
    this.messagesOut.set('signal', (this.messagesOut.get('signal') ?? 0) + 1);
  }

  messageOut(message: ServerMessage): void {
    this.messagesOut.set(message.type, (this.messagesOut.get(message.type) ?? 0) + 1);
    if (message.type === 'error') this.errors.labels(message.code).inc();
    else if (
      message.type === 'response' &&
      message.request === 'register' &&
      message.status === 'unregistered'
    ) {
      this.registerFailures.labels(message.reason).inc();
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * A counter labelled by `type` whose values live in `tallies` (cumulative, bumped on the hot path) and are
 * copied in at each scrape. Only types seen at least once appear, as with `inc()`.
 */
function tallyCounter(
  name: string,
  help: string,
  registers: Registry[],
  tallies: ReadonlyMap<string, number>,
) {
  return new PromCounter({
    name,
    help,
    labelNames: ['type'],
    registers,
    collect() {
      this.reset();
      for (const [type, count] of tallies) this.inc({ type }, count);
    },
  });
}
