import { isDeepStrictEqual } from 'node:util';
import { delay } from '../support/delay.js';
import { WireClient, type WireMessage } from '../support/WireClient.js';
import { IdBindings } from './IdBindings.js';
import type { ModelServer, ModelServerFactory } from './modelServer.js';
import { MODEL_EXTENSIONS, type Program, type Step, toEvents } from './programs.js';
import {
  ANY_TEXT,
  applyEvent,
  type Delivery,
  initialState,
  type ModelEvent,
  type ModelState,
  type WireObject,
} from './protocolModel.js';
import { sectionSevenBreach } from './sectionSevenOrder.js';

/**
 * Runs one program against the real server and checks every message every peer receives against the
 * model. Steps run one at a time; after each, the runner waits for quiescence: every message the model
 * expects has arrived, the server holds as many connections as the model, and a short silence follows.
 * The events of a step that race (a `together` step, several ring timeouts at once) may be served in any
 * order: the outcome must be the model's outcome for some ordering, and the model goes on from that one.
 * Per peer, the order of messages is always checked exactly.
 */

export interface RunOptions {
  startServer: ModelServerFactory;
  /** Bound on waiting for one step's messages. */
  stepTimeoutMs?: number;
  /** How long no further message may arrive once a step's messages are all in. */
  silenceMs?: number;
}

export const RING_TIMEOUT_SECONDS = 60;

/** The server did something the model does not allow; `stepIndex` is the program step that showed it. */
export class ModelMismatch extends Error {
  override name = 'ModelMismatch';
  constructor(
    message: string,
    readonly stepIndex: number,
  ) {
    super(message);
  }
}

/** What a run checked, for the CLI's progress lines and coverage at a glance. */
export class RunStats {
  programs = 0;
  steps = 0;
  /** Steps whose racing events had more than one possible outcome. */
  racingSteps = 0;
  /** Messages checked, by kind: `response:answer:connected`, `event:claimed`, `error:busy`, `signal`. */
  readonly messages = new Map<string, number>();

  count(message: WireObject): void {
    const kind =
      message.type === 'response'
        ? `response:${message.request}:${message.status}`
        : message.type === 'event'
          ? `event:${message.status}`
          : message.type === 'error'
            ? `error:${message.code}`
            : String(message.type);
    this.messages.set(kind, (this.messages.get(kind) ?? 0) + 1);
  }

  get messageTotal(): number {
    return [...this.messages.values()].reduce((sum, n) => sum + n, 0);
  }
}

export async function runProgram(
  program: Program,
  options: RunOptions,
  stats = new RunStats(),
): Promise<void> {
  const server = await options.startServer({
    extensions: MODEL_EXTENSIONS,
    ringTimeoutSeconds: RING_TIMEOUT_SECONDS,
  });
  const run = new ProgramRun(program, server, options, stats);
  try {
    await run.execute();
  } finally {
    await run.closeClients();
    await server.close();
  }
}

/** One peer connection as the runner sees it. */
interface SlotClient {
  client: WireClient;
  /** How many of `client.history` earlier steps accounted for. */
  seen: number;
}

/** A candidate ordering of a step's racing events, with what the model says it produces. */
interface Candidate {
  order: ModelEvent[];
  state: ModelState;
  deliveries: Delivery[];
  errorChangedState: boolean;
}

type Verdict = { kind: 'complete'; bindings: IdBindings } | { kind: 'partial' } | { kind: 'mismatch' };

class ProgramRun {
  private state: ModelState;
  private bindings = IdBindings.empty();
  private readonly slots: Array<SlotClient | undefined>;
  private readonly everyClient: WireClient[] = [];
  private readonly stepTimeoutMs: number;
  private readonly silenceMs: number;

  constructor(
    private readonly program: Program,
    private readonly server: ModelServer,
    options: RunOptions,
    private readonly stats: RunStats,
  ) {
    const slotCount = program.slotExtensions.length;
    this.state = initialState(MODEL_EXTENSIONS, slotCount, RING_TIMEOUT_SECONDS * 1000);
    this.slots = Array.from({ length: slotCount }, () => undefined);
    this.stepTimeoutMs = options.stepTimeoutMs ?? 2_000;
    this.silenceMs = options.silenceMs ?? 5;
  }

  async execute(): Promise<void> {
    for (const [index, step] of this.program.steps.entries()) {
      const resolved = toEvents(this.state, step, this.program.slotExtensions);
      await this.runStep(index, step, resolved.prefix, resolved.concurrent);
      if (resolved.thenInit.length > 0) await this.runStep(index, step, [], resolved.thenInit);
    }
    const lastStep = this.program.steps.length - 1;
    await this.assertQuiet(lastStep, 5 * this.silenceMs);
    for (const client of this.everyClient) {
      const breach = sectionSevenBreach(client.history);
      if (breach !== undefined) throw new ModelMismatch(`§7 ordering, ${client.label}: ${breach}`, lastStep);
    }
    this.stats.programs++;
  }

  async closeClients(): Promise<void> {
    await Promise.all(this.everyClient.map((client) => client.close()));
  }

  private async runStep(index: number, step: Step, prefix: ModelEvent[], concurrent: ModelEvent[]) {
    for (const event of prefix) this.state = applyEvent(this.state, event).state;
    if (concurrent.length === 0) {
      if (prefix.length > 0) this.server.advanceClock(tickMs(prefix));
      return;
    }
    const candidates = this.candidates(concurrent);
    const disconnecting = new Set(concurrent.flatMap((e) => (e.kind === 'disconnect' ? [e.slot] : [])));
    await this.perform(prefix, concurrent);
    const chosen = await this.awaitOutcome(index, step, candidates, disconnecting);
    for (const slot of disconnecting) this.slots[slot] = undefined;
    this.state = chosen.state;
    this.stats.steps++;
    if (candidates.length > 1) this.stats.racingSteps++;
    for (const { message } of chosen.deliveries) this.stats.count(message);
  }

  /** Every ordering of the racing events, one per distinct outcome. */
  private candidates(concurrent: ModelEvent[]): Candidate[] {
    const byOutcome = new Map<string, Candidate>();
    for (const order of permutations(concurrent)) {
      let state = this.state;
      const deliveries: Delivery[] = [];
      let errorChangedState = false;
      for (const event of order) {
        const outcome = applyEvent(state, event);
        if (outcome.wasError && !isDeepStrictEqual(outcome.state, state)) errorChangedState = true;
        state = outcome.state;
        deliveries.push(...outcome.deliveries);
      }
      const key = JSON.stringify([deliveriesBySlot(deliveries, state.peers.length), state]);
      if (!byOutcome.has(key)) byOutcome.set(key, { order, state, deliveries, errorChangedState });
    }
    return [...byOutcome.values()];
  }

  /** Does what the events say on the wire; racing events go out in the same turn. */
  private async perform(prefix: ModelEvent[], concurrent: ModelEvent[]): Promise<void> {
    const ticks = tickMs(prefix);
    const closing: Array<Promise<unknown>> = [];
    for (const event of concurrent) {
      switch (event.kind) {
        case 'connect': {
          const client = await WireClient.connect(this.server.peerUrl(event.slot, event.extension), {
            label: `slot ${event.slot} (connection ${this.everyClient.length + 1})`,
          });
          this.everyClient.push(client);
          this.slots[event.slot] = { client, seen: 0 };
          break;
        }
        case 'send': {
          const message = { ...event.message };
          if (typeof message.peerId === 'string') message.peerId = this.bindings.real(message.peerId);
          if (typeof message.callId === 'string') message.callId = this.bindings.real(message.callId);
          this.slotClient(event.slot).client.send(message);
          break;
        }
        case 'disconnect': {
          const { client } = this.slotClient(event.slot);
          if (concurrent.length === 1) {
            closing.push(event.how === 'close' ? client.close() : client.terminate());
          } else if (event.how === 'close') {
            client.socket.close(1000, 'model step');
          } else {
            client.socket.terminate();
          }
          break;
        }
        case 'expire':
        case 'tick':
          break;
      }
    }
    if (ticks > 0) {
      // Lets the frames just sent reach the server's socket first, so that timeouts truly race them.
      if (concurrent.some((event) => event.kind !== 'expire'))
        await new Promise((resolve) => setImmediate(resolve));
      this.server.advanceClock(ticks);
    }
    await Promise.all(closing);
  }

  private async awaitOutcome(
    index: number,
    step: Step,
    candidates: Candidate[],
    disconnecting: Set<number>,
  ): Promise<Candidate> {
    const deadline = Date.now() + this.stepTimeoutMs;
    const expectedConnections = this.expectedConnections(candidates);
    let connectionsSettled = !candidates[0]?.order.some((event) => event.kind === 'disconnect');
    for (;;) {
      const received = this.received();
      const verdicts = candidates.map((candidate) => this.judge(candidate, received, disconnecting));
      const completeAt = verdicts.findIndex((verdict) => verdict.kind === 'complete');
      if (completeAt >= 0) {
        if (!connectionsSettled)
          connectionsSettled = (await this.server.openConnections()) === expectedConnections;
        if (connectionsSettled) {
          await delay(this.silenceMs);
          if (isDeepStrictEqual(this.received(), received)) {
            const candidate = candidates[completeAt] as Candidate;
            const verdict = verdicts[completeAt] as Extract<Verdict, { kind: 'complete' }>;
            if (candidate.errorChangedState) {
              throw new ModelMismatch(
                `Step ${index}: the model changed its state on an error (a model bug).`,
                index,
              );
            }
            this.bindings = verdict.bindings;
            this.markSeen();
            return candidate;
          }
          continue;
        }
      } else if (verdicts.every((verdict) => verdict.kind === 'mismatch')) {
        throw this.mismatch(index, step, candidates, received, 'the messages match no ordering of the step');
      }
      if (Date.now() > deadline) {
        const what =
          completeAt >= 0
            ? `the server still holds a connection the model closed (expected ${expectedConnections} open)`
            : `timed out after ${this.stepTimeoutMs} ms waiting for the expected messages`;
        throw this.mismatch(index, step, candidates, received, what);
      }
      await delay(2);
    }
  }

  /** Checks what each slot received in this step against one candidate's deliveries. */
  private judge(candidate: Candidate, received: WireMessage[][], disconnecting: Set<number>): Verdict {
    const bindings = this.bindings.copy();
    const expected = deliveriesBySlot(candidate.deliveries, this.slots.length);
    let complete = true;
    for (const [slot, actual] of received.entries()) {
      const wanted = expected[slot] ?? [];
      if (actual.length > wanted.length) return { kind: 'mismatch' };
      for (const [position, message] of actual.entries()) {
        if (!matches(wanted[position] as WireObject, message, bindings)) return { kind: 'mismatch' };
      }
      // A peer that closes in this step may miss what the server sent it just before it noticed.
      if (actual.length < wanted.length && !disconnecting.has(slot)) complete = false;
    }
    return complete ? { kind: 'complete', bindings } : { kind: 'partial' };
  }

  private expectedConnections(candidates: Candidate[]): number {
    return (candidates[0] as Candidate).state.peers.filter((peer) => peer !== undefined).length;
  }

  /** What each slot has received since the last step ended. */
  private received(): WireMessage[][] {
    return this.slots.map((slot) => (slot === undefined ? [] : slot.client.history.slice(slot.seen)));
  }

  private markSeen(): void {
    for (const slot of this.slots) if (slot !== undefined) slot.seen = slot.client.history.length;
  }

  private async assertQuiet(index: number, ms: number): Promise<void> {
    await delay(ms);
    const received = this.received();
    if (received.some((messages) => messages.length > 0)) {
      throw new ModelMismatch(
        `After the last step (${index}), messages arrived that the model does not expect:\n${describeReceived(received, this.bindings)}`,
        index,
      );
    }
  }

  private slotClient(slot: number): SlotClient {
    const client = this.slots[slot];
    if (client === undefined) throw new Error(`Slot ${slot} has no connection.`);
    return client;
  }

  private mismatch(
    index: number,
    step: Step,
    candidates: Candidate[],
    received: WireMessage[][],
    what: string,
  ): ModelMismatch {
    const shown = candidates.slice(0, 3).map((candidate, n) => {
      const expected = deliveriesBySlot(candidate.deliveries, this.slots.length);
      const lines = expected.flatMap((messages, slot) =>
        messages.map((message) => `    slot ${slot} <- ${JSON.stringify(message)}`),
      );
      return `  ordering ${n + 1} (${candidate.order.map(describeEvent).join(', ')}):\n${lines.join('\n') || '    nothing'}`;
    });
    return new ModelMismatch(
      [
        `Step ${index} ${JSON.stringify(step)}: ${what}.`,
        'Received (real ids shown as the model names them where known):',
        describeReceived(received, this.bindings),
        `Expected (${candidates.length} distinct outcome(s)${candidates.length > 3 ? ', first 3 shown' : ''}):`,
        ...shown,
      ].join('\n'),
      index,
    );
  }
}

/** Compares one expected message (symbolic ids, ANY_TEXT) with one received message: same keys, same values. */
function matches(expected: WireObject, actual: WireMessage, bindings: IdBindings): boolean {
  const keys = Object.keys(expected);
  if (keys.length !== Object.keys(actual).length) return false;
  for (const key of keys) {
    if (!(key in actual)) return false;
    const want = expected[key];
    const got = actual[key];
    if (want === ANY_TEXT) {
      if (typeof got !== 'string' || got === '') return false;
    } else if (key === 'peerId' || key === 'callId') {
      if (!bindings.unify(want as string, got)) return false;
    } else if (!isDeepStrictEqual(want, got)) {
      return false;
    }
  }
  return true;
}

function deliveriesBySlot(deliveries: Delivery[], slotCount: number): WireObject[][] {
  const bySlot: WireObject[][] = Array.from({ length: slotCount }, () => []);
  for (const { slot, message } of deliveries) bySlot[slot]?.push(message);
  return bySlot;
}

function tickMs(prefix: ModelEvent[]): number {
  return prefix.reduce((sum, event) => sum + (event.kind === 'tick' ? event.ms : 0), 0);
}

function describeEvent(event: ModelEvent): string {
  switch (event.kind) {
    case 'send':
      return `slot ${event.slot} sends ${JSON.stringify(event.message)}`;
    case 'connect':
      return `slot ${event.slot} connects to ${event.extension}`;
    case 'disconnect':
      return `slot ${event.slot} ${event.how}s`;
    case 'tick':
      return `${event.ms} ms pass`;
    case 'expire':
      return `${event.callId} times out`;
  }
}

function describeReceived(received: WireMessage[][], bindings: IdBindings): string {
  const named = (message: WireMessage) =>
    JSON.stringify(message, (key, value) =>
      (key === 'peerId' || key === 'callId') && typeof value === 'string'
        ? (bindings.symbolOf(value) ?? value)
        : value,
    );
  const lines = received.flatMap((messages, slot) => messages.map((m) => `    slot ${slot} <- ${named(m)}`));
  return lines.join('\n') || '    nothing';
}

function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (const [position, item] of items.entries()) {
    const rest = [...items.slice(0, position), ...items.slice(position + 1)];
    for (const tail of permutations(rest)) yield [item, ...tail];
  }
}
