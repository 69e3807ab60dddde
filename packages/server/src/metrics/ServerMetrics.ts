import { type ClientMessageType, clientMessageTypes, type ServerMessage } from '@pbx-peers/protocol';
import { type Counter, collectDefaultMetrics, Gauge, Counter as PromCounter, Registry } from 'prom-client';
import type { LocalPeerCounts } from '../core/Switchboard.js';
import type { CallCounts } from '../core/SwitchboardBackend.js';

/** What the gauges read at scrape time. */
export interface MetricsSources {
  localPeerCounts(): LocalPeerCounts;
  callCounts(): Promise<CallCounts>;
}

/** Frames that did not become a message: not JSON, not valid, binary, over the rate. */
type RejectedInput = 'invalid';

/**
 * Prometheus metrics, counted at the edge from the wire messages themselves, so the core carries no
 * instrumentation. Label children are created once: `inc()` on the relay path does no label hashing.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly messagesIn: Map<ClientMessageType | RejectedInput, Counter.Internal>;
  private readonly messagesOut: PromCounter<'type'>;
  private readonly errors: PromCounter<'code'>;
  private readonly registerFailures: PromCounter<'reason'>;

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
      help: 'Calls by state, as the backend sees them.',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await sources.callCounts();
        this.set({ state: 'ringing' }, counts.ringing);
        this.set({ state: 'connected' }, counts.connected);
      },
    });

    const messagesIn = new PromCounter({
      name: 'pbx_peers_messages_in_total',
      help: 'Messages received, by type; "invalid" for frames rejected at the edge.',
      labelNames: ['type'],
      registers,
    });
    this.messagesIn = new Map(
      [...clientMessageTypes, 'invalid' as const].map((type) => [type, messagesIn.labels(type)]),
    );
    this.messagesOut = new PromCounter({
      name: 'pbx_peers_messages_out_total',
      help: 'Messages sent, by type (response, event, signal, error).',
      labelNames: ['type'],
      registers,
    });
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
  }

  messageIn(type: ClientMessageType | RejectedInput): void {
    this.messagesIn.get(type)?.inc();
  }

  messageOut(message: ServerMessage): void {
    this.messagesOut.labels(message.type).inc();
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
