import fc from 'fast-check';
import {
  BOGUS_PEER_ID,
  callsDueAfter,
  type ModelEvent,
  type ModelExtension,
  type ModelState,
  UNKNOWN_CALL_ID,
  type WireObject,
} from './protocolModel.js';

/**
 * Random programs for the model-based test, as fast-check arbitraries. An action names what a peer does
 * but not the server's ids: calls and peers are referred to by position, and `toEvents` resolves them
 * against the model state when the step runs, so that a shrunk program still means something.
 */

export const MODEL_EXTENSIONS: ModelExtension[] = [
  { id: 'model-front', password: 'front-secret' },
  { id: 'model-back', password: 'back-secret' },
];

/** Which call an action is about. */
export type CallRef =
  /** The call the peer is in, else the last one it was in or heard of. */
  | { kind: 'mine' }
  /** The nth newest call of any extension (modulo how many there are). */
  | { kind: 'recent'; nth: number }
  | { kind: 'unknown' };

/** `id` of a request: absent, a string or an integer, echoed by the server. */
export type RequestId = string | number | undefined;

interface Common {
  slot: number;
  id: RequestId;
  /** Send another slot's peer id (or a bogus one) instead of its own: `bad-peer-id`. */
  impersonate?: number;
}

export type Action =
  | { kind: 'connect'; slot: number; init: boolean }
  | ({ kind: 'init' } & Common)
  | ({ kind: 'register'; rightPassword: boolean } & Common)
  | ({ kind: 'deregister' } & Common)
  | ({ kind: 'status' } & Common)
  | ({ kind: 'call'; name?: string } & Common)
  | ({ kind: 'answer'; call: CallRef } & Common)
  | ({ kind: 'end'; call: CallRef } & Common)
  | ({ kind: 'signal'; call: CallRef; data: unknown } & Common)
  | { kind: 'disconnect'; slot: number; how: 'close' | 'terminate' }
  | { kind: 'wait'; ms: number };

export type Step =
  | { kind: 'one'; action: Action }
  /** Sent at once, from several peers: the server may serve them in any order. */
  | { kind: 'together'; actions: Action[] };

export interface Program {
  /** Index into MODEL_EXTENSIONS for each slot. */
  slotExtensions: number[];
  steps: Step[];
}

/** One step resolved against the model: `prefix` happens first, then `concurrent` in some order. */
export interface ResolvedStep {
  prefix: ModelEvent[];
  concurrent: ModelEvent[];
  /** `connect` needs an `init` right after it, as its own event. */
  thenInit: ModelEvent[];
}

/** Ring timeouts are 60 s; these cross it from either side. */
const WAITS_MS = [1, 1_000, 30_000, 59_999, 60_000, 61_000];

export interface ProgramShape {
  maxSlots: number;
  maxSteps: number;
}

/** Who is who: each slot's extension, and whether it is meant as an agent (else a visitor). */
interface Cast {
  slotExtensions: number[];
  agents: boolean[];
}

/** The second extension is there to show that extensions do not hear each other; most peers share one. */
const mostlyFirstExtension = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant(1) },
);

export function programArbitrary({ maxSlots, maxSteps }: ProgramShape): fc.Arbitrary<Program> {
  const castArbitrary = fc
    .array(fc.record({ extension: mostlyFirstExtension, agent: fc.boolean() }), {
      minLength: 2,
      maxLength: maxSlots,
    })
    .map(
      (slots): Cast => ({
        // At least one agent and one visitor on the same extension, so that calls can ring.
        slotExtensions: slots.map((slot, index) => (index < 2 ? 0 : slot.extension)),
        agents: slots.map((slot, index) => (index === 0 ? true : index === 1 ? false : slot.agent)),
      }),
    );
  return castArbitrary.chain((cast) => {
    const prelude = preludeOf(cast);
    return fc
      .record({
        kept: fc.array(keptByDefault, { minLength: prelude.length, maxLength: prelude.length }),
        steps: fc.array(stepArbitrary(cast), { minLength: 1, maxLength: maxSteps, size: 'max' }),
      })
      .map(
        ({ kept, steps }): Program => ({
          slotExtensions: cast.slotExtensions,
          steps: [...prelude.filter((_, index) => kept[index]), ...steps],
        }),
      );
  });
}

/** Almost always true, but shrinks to false: a prelude step a counterexample does not need goes. */
const keptByDefault = fc.nat({ max: 30 }).map((n) => n > 0);

/**
 * Every slot starts connected and initialized, and agents registered, so that most actions have a peer to
 * act on.
 */
function preludeOf(cast: Cast): Step[] {
  const connects = cast.agents.map(
    (_, slot): Step => ({ kind: 'one', action: { kind: 'connect', slot, init: true } }),
  );
  const registers = cast.agents.flatMap((agent, slot): Step[] =>
    agent ? [{ kind: 'one', action: { kind: 'register', slot, id: undefined, rightPassword: true } }] : [],
  );
  return [...connects, ...registers];
}

/** Slots of one role, mostly: now and then anyone, for the errors of acting out of role. */
function slotOf(cast: Cast, agents: boolean): fc.Arbitrary<number> {
  const inRole = cast.agents.flatMap((agent, slot) => (agent === agents ? [slot] : []));
  const anySlot = fc.nat({ max: cast.agents.length - 1 });
  if (inRole.length === 0) return anySlot;
  return fc.oneof({ weight: 1, arbitrary: anySlot }, { weight: 6, arbitrary: fc.constantFrom(...inRole) });
}

function stepArbitrary(cast: Cast): fc.Arbitrary<Step> {
  const together = (actions: Action[]): Step => ({ kind: 'together', actions });
  return fc.oneof(
    { weight: 10, arbitrary: actionArbitrary(cast).map((action): Step => ({ kind: 'one', action })) },
    {
      weight: 1,
      arbitrary: fc.array(racingActionArbitrary(cast), { minLength: 1, maxLength: 3 }).map(together),
    },
    { weight: 2, arbitrary: raceArbitrary(cast).map(together) },
  );
}

/** The races the contract has most to say about, each between the peers most likely to make it bite. */
function raceArbitrary(cast: Cast): fc.Arbitrary<Action[]> {
  const agent = slotOf(cast, true);
  const visitor = slotOf(cast, false);
  const answer = (slot: number): Action => ({
    kind: 'answer',
    slot,
    id: undefined,
    call: { kind: 'recent', nth: 0 },
  });
  const mine: CallRef = { kind: 'mine' };
  return fc.oneof(
    // Several agents answer the same call: one wins, the others get `unavailable`.
    fc.uniqueArray(agent, { minLength: 2, maxLength: 3 }).map((slots) => slots.map(answer)),
    // The caller hangs up (or drops) as an agent answers.
    fc
      .tuple(visitor, agent, fc.constantFrom('end', 'close', 'terminate'))
      .map(([caller, answerer, how]): Action[] => [
        how === 'end'
          ? { kind: 'end', slot: caller, id: undefined, call: mine }
          : { kind: 'disconnect', slot: caller, how },
        answer(answerer),
      ]),
    // A call as the last agent leaves.
    fc
      .tuple(visitor, agent, fc.boolean())
      .map(([caller, leaver, drops]): Action[] => [
        { kind: 'call', slot: caller, id: undefined },
        drops
          ? { kind: 'disconnect', slot: leaver, how: 'terminate' }
          : { kind: 'deregister', slot: leaver, id: undefined },
      ]),
    // The ring timeout as an agent answers.
    agent.map((answerer): Action[] => [{ kind: 'wait', ms: 61_000 }, answer(answerer)]),
    // A signal as the other party hangs up.
    fc.tuple(visitor, agent).map(([caller, answerer]): Action[] => [
      { kind: 'signal', slot: caller, id: undefined, call: mine, data: { race: 'signal' } },
      { kind: 'end', slot: answerer, id: undefined, call: mine },
    ]),
  );
}

const requestId: fc.Arbitrary<RequestId> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: -1_000, max: 1_000_000 }) },
);

/** Answers mostly go to the newest call, which is the one most likely to ring. */
const answeredCall: fc.Arbitrary<CallRef> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<CallRef>({ kind: 'recent', nth: 0 }) },
  { weight: 1, arbitrary: fc.nat({ max: 3 }).map((nth): CallRef => ({ kind: 'recent', nth })) },
  { weight: 1, arbitrary: fc.constant<CallRef>({ kind: 'mine' }) },
  { weight: 1, arbitrary: fc.constant<CallRef>({ kind: 'unknown' }) },
);

const callRef: fc.Arbitrary<CallRef> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<CallRef>({ kind: 'mine' }) },
  { weight: 3, arbitrary: fc.nat({ max: 3 }).map((nth): CallRef => ({ kind: 'recent', nth })) },
  { weight: 1, arbitrary: fc.constant<CallRef>({ kind: 'unknown' }) },
);

/** Signal payloads: any JSON value (no -0, which JSON cannot carry). */
const signalData = fc
  .jsonValue({ maxDepth: 2, noUnicodeString: false })
  .map((value) => JSON.parse(JSON.stringify(value)));

const callerName = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('Ann', 'B', '☎ Zoë'),
  fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme-ascii' }),
);

/** Slot, id, and now and then someone else's peer id. */
function common(cast: Cast, agents: boolean): fc.Arbitrary<Common> {
  return fc.record(
    {
      slot: slotOf(cast, agents),
      id: requestId,
      impersonate: fc.oneof(
        { weight: 15, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.nat({ max: cast.agents.length - 1 }) },
      ),
    },
    { requiredKeys: ['slot', 'id'] },
  );
}

function actionArbitrary(cast: Cast): fc.Arbitrary<Action> {
  const agent = common(cast, true);
  const visitor = common(cast, false);
  const anyone = fc.oneof(agent, visitor);
  return fc.oneof(
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('connect' as const),
        slot: fc.nat({ max: cast.agents.length - 1 }),
        init: fc.oneof(
          { weight: 6, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
      }),
    },
    { weight: 1, arbitrary: anyone.map((c): Action => ({ kind: 'init', ...c })) },
    {
      weight: 3,
      arbitrary: fc
        .record({
          c: agent,
          right: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
        })
        .map(({ c, right }): Action => ({ kind: 'register', rightPassword: right, ...c })),
    },
    { weight: 1, arbitrary: agent.map((c): Action => ({ kind: 'deregister', ...c })) },
    { weight: 1, arbitrary: anyone.map((c): Action => ({ kind: 'status', ...c })) },
    {
      weight: 5,
      arbitrary: fc
        .record({ c: visitor, name: callerName })
        .map(({ c, name }): Action => ({ kind: 'call', ...c, ...(name === undefined ? {} : { name }) })),
    },
    {
      weight: 5,
      arbitrary: fc
        .record({ c: agent, call: answeredCall })
        .map(({ c, call }): Action => ({ kind: 'answer', call, ...c })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ c: anyone, call: callRef })
        .map(({ c, call }): Action => ({ kind: 'end', call, ...c })),
    },
    {
      weight: 6,
      arbitrary: fc
        .record({ c: anyone, call: callRef, data: signalData })
        .map(({ c, call, data }): Action => ({ kind: 'signal', call, data, ...c })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('disconnect' as const),
        slot: fc.nat({ max: cast.agents.length - 1 }),
        how: fc.constantFrom('close', 'terminate'),
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom(...WAITS_MS).map((ms): Action => ({ kind: 'wait', ms })) },
  );
}

/**
 * What makes interesting races: agents answering the newest call, hang-ups, the last agent leaving,
 * calling, dropping, signalling and the ring timeout, all at the same moment.
 */
function racingActionArbitrary(cast: Cast): fc.Arbitrary<Action> {
  const plain = (c: Common) => ({ slot: c.slot, id: c.id });
  const agent = common(cast, true).map(plain);
  const visitor = common(cast, false).map(plain);
  const anyone = fc.oneof(agent, visitor);
  return fc.oneof(
    {
      weight: 5,
      arbitrary: agent.map((c): Action => ({ kind: 'answer', call: { kind: 'recent', nth: 0 }, ...c })),
    },
    { weight: 2, arbitrary: anyone.map((c): Action => ({ kind: 'end', call: { kind: 'mine' }, ...c })) },
    { weight: 2, arbitrary: agent.map((c): Action => ({ kind: 'deregister', ...c })) },
    { weight: 2, arbitrary: visitor.map((c): Action => ({ kind: 'call', ...c })) },
    {
      weight: 1,
      arbitrary: fc
        .record({ c: agent, right: fc.boolean() })
        .map(({ c, right }): Action => ({ kind: 'register', rightPassword: right, ...c })),
    },
    {
      weight: 1,
      arbitrary: anyone.map(
        (c): Action => ({ kind: 'signal', call: { kind: 'mine' }, data: { from: c.slot }, ...c }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('disconnect' as const),
        slot: fc.nat({ max: cast.agents.length - 1 }),
        how: fc.constantFrom('close', 'terminate'),
      }),
    },
    { weight: 1, arbitrary: fc.constant<Action>({ kind: 'wait', ms: 61_000 }) },
  );
}

/** The wire message a request action sends, with symbolic ids; undefined when the slot has no connection. */
function toMessage(
  state: ModelState,
  action: Exclude<Action, { kind: 'connect' | 'disconnect' | 'wait' }>,
): WireObject | undefined {
  const peer = state.peers[action.slot];
  if (peer === undefined) return undefined;
  const message: WireObject = { type: action.kind };
  if (action.id !== undefined) message.id = action.id;
  if (action.kind !== 'init') message.peerId = peerIdFor(state, action);
  switch (action.kind) {
    case 'register': {
      const extension = MODEL_EXTENSIONS.find((candidate) => candidate.id === peer.extension);
      message.password = action.rightPassword ? extension?.password : 'wrong-password';
      break;
    }
    case 'call':
      if (action.name !== undefined) message.name = action.name;
      break;
    case 'answer':
    case 'end':
      message.callId = callIdFor(state, action.slot, action.call);
      break;
    case 'signal':
      message.callId = callIdFor(state, action.slot, action.call);
      message.data = action.data;
      break;
    default:
      break;
  }
  return message;
}

function peerIdFor(state: ModelState, action: Common): string {
  const own = state.peers[action.slot]?.peerId;
  if (action.impersonate === undefined) return own ?? BOGUS_PEER_ID;
  const other = state.peers[action.impersonate]?.peerId;
  return other !== undefined && other !== own ? other : BOGUS_PEER_ID;
}

function callIdFor(state: ModelState, slot: number, ref: CallRef): string {
  const { calls } = state;
  switch (ref.kind) {
    case 'unknown':
      return UNKNOWN_CALL_ID;
    case 'recent':
      return calls.length === 0
        ? UNKNOWN_CALL_ID
        : (calls[calls.length - 1 - (ref.nth % calls.length)]?.callId as string);
    case 'mine': {
      const session = state.peers[slot]?.session;
      if (session !== undefined) return session.callId;
      const involved = calls.filter((call) => call.callerSlot === slot || call.answererSlot === slot);
      return involved.at(-1)?.callId ?? calls.at(-1)?.callId ?? UNKNOWN_CALL_ID;
    }
  }
}

/** The model events an action stands for in this state; none when it cannot be done (no connection). */
function actionEvents(state: ModelState, action: Action, slotExtensions: number[]): ModelEvent[] {
  switch (action.kind) {
    case 'connect': {
      if (state.peers[action.slot] !== undefined) return [];
      const extension = MODEL_EXTENSIONS[slotExtensions[action.slot] ?? 0]?.id as string;
      return [{ kind: 'connect', slot: action.slot, extension }];
    }
    case 'disconnect':
      return state.peers[action.slot] === undefined
        ? []
        : [{ kind: 'disconnect', slot: action.slot, how: action.how }];
    case 'wait':
      return [
        { kind: 'tick', ms: action.ms },
        ...callsDueAfter(state, action.ms).map((callId): ModelEvent => ({ kind: 'expire', callId })),
      ];
    default: {
      const message = toMessage(state, action);
      return message === undefined ? [] : [{ kind: 'send', slot: action.slot, message }];
    }
  }
}

/**
 * Resolves a step against the state before it. A `together` step is resolved wholly against that state
 * (its actions are sent before any reply comes back); ticks go first, everything else races. Within a
 * `together` step, a slot acts at most once, and a call and a wait never race (the ring timer of a call
 * would start before or after the wait: not what the model can say).
 */
export function toEvents(state: ModelState, step: Step, slotExtensions: number[]): ResolvedStep {
  if (step.kind === 'one') {
    const events = actionEvents(state, step.action, slotExtensions);
    const [first] = events;
    if (first?.kind === 'connect') {
      const connect = step.action as Extract<Action, { kind: 'connect' }>;
      return {
        prefix: [],
        concurrent: [first],
        thenInit: connect.init ? [{ kind: 'send', slot: first.slot, message: { type: 'init' } }] : [],
      };
    }
    return {
      prefix: events.filter((e) => e.kind === 'tick'),
      concurrent: events.filter((e) => e.kind !== 'tick'),
      thenInit: [],
    };
  }
  const usedSlots = new Set<number>();
  const hasCall = step.actions.some((action) => action.kind === 'call');
  let waited = false;
  const prefix: ModelEvent[] = [];
  const concurrent: ModelEvent[] = [];
  for (const action of step.actions) {
    if (action.kind === 'wait') {
      if (hasCall || waited) continue;
      waited = true;
    } else if (action.kind === 'connect' || usedSlots.has(action.slot)) {
      continue;
    } else {
      usedSlots.add(action.slot);
    }
    for (const event of actionEvents(state, action, slotExtensions)) {
      (event.kind === 'tick' ? prefix : concurrent).push(event);
    }
  }
  return { prefix, concurrent, thenInit: [] };
}
