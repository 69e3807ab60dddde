/**
 * Issue 10, points 2 and 3, the pages' logic without a browser: the agent console's front desk (the
 * API's answers read, the missed list, polling, mark-done, the title and notifications while hidden) and
 * the caller page's "Leave your number" (its checks, the same as the server's, and its states).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callbackRequestProblem } from '../../server/src/http/callbackRequestProblem.js';
import {
  type FrontDeskEffect,
  FrontDeskModel,
  formatWhen,
  missedTitlePrefix,
  POLL_MS,
  RATE_LIMITED_MS,
  SOON_MS,
  SOON_POLLS,
} from '../src/agent/FrontDeskModel.js';
import { frontDeskFetchResult, markDoneResult, parseFrontDesk } from '../src/agent/frontDeskData.js';
import {
  CallbackFlow,
  callbackSendResult,
  checkCallback,
  offersCallback,
  SEND_PROBLEMS,
} from '../src/caller/callbackRequest.js';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const iso = (secondsAfter: number) => new Date(T0 + secondsAfter * 1000).toISOString();

function missed(callId: string, at: number, callerName: string | null = 'Ann', outcome = 'abandoned') {
  return {
    callId,
    callerName,
    ringingAt: iso(at - 12),
    endedAt: iso(at),
    outcome,
    waitedSeconds: 12,
  };
}

function callback(id: string, at: number, name = 'Bob') {
  return { id, name, contact: '+44 20 7946 0958', message: 'About my order', createdAt: iso(at) };
}

function answered(callId: string, at: number, agentName: string | null = 'Alice') {
  return {
    callId,
    callerName: 'Cy',
    agentName,
    ringingAt: iso(at - 130),
    answeredAt: iso(at - 123),
    endedAt: iso(at),
    outcome: 'answered',
    talkSeconds: 123,
  };
}

function body(parts: { missed?: unknown[]; answered?: unknown[]; callbacks?: unknown[] }) {
  return { missed: parts.missed ?? [], answered: parts.answered ?? [], callbacks: parts.callbacks ?? [] };
}

function ok(parts: Parameters<typeof body>[0]) {
  const result = frontDeskFetchResult(200, body(parts));
  assert.equal(result.kind, 'ok');
  return result;
}

function fetchOf(effects: FrontDeskEffect[]): number {
  const fetch = effects.find((effect) => effect.type === 'fetch');
  assert.ok(fetch !== undefined && fetch.type === 'fetch', `a fetch in ${JSON.stringify(effects)}`);
  return fetch.request;
}

function started(hidden = false) {
  const model = new FrontDeskModel(() => 'Front desk');
  const request = fetchOf(model.dispatch({ type: 'start', hidden, online: true }));
  return { model, request };
}

describe("the front desk API's answers", () => {
  test('a body is read field by field; an entry of the wrong shape is left out', () => {
    const data = parseFrontDesk(
      body({
        missed: [missed('c1', 0, null, 'timeout'), { callId: 7 }, missed('c2', 5, 'Ann', 'answered')],
        answered: [answered('a1', 0, null), 'nonsense'],
        callbacks: [callback('r1', 0), { ...callback('r2', 1), createdAt: 'not a date' }],
      }),
    );
    assert.ok(data !== undefined);
    assert.deepEqual(
      data.missed.map((call) => [call.callId, call.callerName, call.outcome]),
      [['c1', null, 'timeout']],
    );
    assert.equal(data.missed[0]?.endedAt.toISOString(), iso(0));
    assert.deepEqual(
      data.answered.map((call) => [call.callId, call.agentName, call.talkSeconds]),
      [['a1', null, 123]],
    );
    assert.deepEqual(
      data.callbacks.map((request) => request.id),
      ['r1'],
    );
    assert.equal(parseFrontDesk({ missed: [] }), undefined);
    assert.equal(parseFrontDesk(null), undefined);
  });

  test('statuses: 200, 401 bad-password, 429 rate-limited, 404, anything else failed; done 204/404', () => {
    assert.equal(frontDeskFetchResult(200, body({})).kind, 'ok');
    assert.equal(frontDeskFetchResult(200, 'html').kind, 'failed');
    assert.equal(frontDeskFetchResult(401, { error: 'bad-password' }).kind, 'bad-password');
    assert.equal(frontDeskFetchResult(429, { error: 'rate-limited' }).kind, 'rate-limited');
    assert.equal(frontDeskFetchResult(404, { error: 'unknown-extension' }).kind, 'unknown-extension');
    assert.equal(frontDeskFetchResult(502, undefined).kind, 'failed');
    assert.equal(markDoneResult(204), 'done');
    assert.equal(markDoneResult(404), 'not-found');
    assert.equal(markDoneResult(401), 'bad-password');
    assert.equal(markDoneResult(500), 'failed');
  });
});

describe("the agent console's missed list", () => {
  test('missed calls and callback requests in one list, newest first, with name, outcome and wait', () => {
    const { model, request } = started();
    const effects = model.dispatch({
      type: 'fetched',
      request,
      result: ok({
        missed: [missed('c2', 60, null, 'timeout'), missed('c1', 0)],
        callbacks: [callback('r1', 30)],
        answered: [answered('a1', 90), { ...answered('a2', 80, null), outcome: 'dropped', talkSeconds: 70 }],
      }),
    });
    assert.deepEqual(
      effects.map((effect) => effect.type),
      ['schedule', 'render'],
    );
    assert.deepEqual(effects[0], { type: 'schedule', delayMs: POLL_MS });
    const rows = model.rows;
    assert.deepEqual(
      rows.map((row) => row.key),
      ['call:c2', 'callback:r1', 'call:c1'],
    );
    const [unknown, request1, ann] = rows;
    assert.ok(unknown?.kind === 'call' && request1?.kind === 'callback' && ann?.kind === 'call');
    assert.equal(unknown.name, 'Unknown caller');
    assert.equal(unknown.anonymous, true);
    assert.equal(unknown.detail, 'Nobody answered in 0:12');
    assert.equal(ann.name, 'Ann');
    assert.equal(ann.detail, 'Hung up after 0:12');
    assert.deepEqual(
      [request1.name, request1.contact, request1.message],
      ['Bob', '+44 20 7946 0958', 'About my order'],
    );
    assert.deepEqual(
      model.recent.map((row) => [row.name, row.detail]),
      [
        ['Cy', 'Alice answered · 2:03'],
        ['Cy', 'Line dropped after 1:10'],
      ],
    );
    assert.equal(model.loaded, true);
  });

  test('what a caller typed is kept as it was (the view sets it as text)', () => {
    const { model, request } = started();
    const name = '<img src=x onerror=alert(1)>';
    model.dispatch({ type: 'fetched', request, result: ok({ callbacks: [callback('r1', 0, name)] }) });
    assert.equal(model.rows[0]?.name, name);
  });

  test('polls every 5 s; at once and then every second, three times, after a call ended', () => {
    const { model, request } = started();
    model.dispatch({ type: 'fetched', request, result: ok({}) });
    // A poll while none is in flight fetches; one while a fetch is in flight does not.
    const polled = fetchOf(model.dispatch({ type: 'poll' }));
    assert.deepEqual(model.dispatch({ type: 'poll' }), []);
    // A call ends while that fetch is on its way: fetched again as soon as it answers.
    assert.deepEqual(model.dispatch({ type: 'call-ended' }), []);
    const again = fetchOf(model.dispatch({ type: 'fetched', request: polled, result: ok({}) }));
    const delays: number[] = [];
    let current = again;
    for (let index = 0; index < SOON_POLLS + 1; index++) {
      const effects = model.dispatch({ type: 'fetched', request: current, result: ok({}) });
      const schedule = effects.find((effect) => effect.type === 'schedule');
      assert.ok(schedule?.type === 'schedule');
      delays.push(schedule.delayMs);
      current = fetchOf(model.dispatch({ type: 'poll' }));
    }
    assert.deepEqual(delays, [SOON_MS, SOON_MS, POLL_MS, POLL_MS]);
    // Not in flight: a call that ends fetches at once.
    model.dispatch({ type: 'fetched', request: current, result: ok({}) });
    fetchOf(model.dispatch({ type: 'call-ended' }));
  });

  test('while the server is away (the signalling connection offline) nothing is fetched; back, at once', () => {
    const model = new FrontDeskModel();
    assert.deepEqual(
      model.dispatch({ type: 'start', hidden: false, online: false }).map((effect) => effect.type),
      ['render', 'title'],
    );
    assert.deepEqual(model.dispatch({ type: 'poll' }), []);
    assert.deepEqual(model.dispatch({ type: 'call-ended' }), []);
    const request = fetchOf(model.dispatch({ type: 'connection', online: true }));
    // Back after a call ended meanwhile: polled quickly.
    const effects = model.dispatch({ type: 'fetched', request, result: ok({}) });
    assert.deepEqual(effects[0], { type: 'schedule', delayMs: SOON_MS });
    assert.deepEqual(model.dispatch({ type: 'connection', online: false }), [{ type: 'cancel-schedule' }]);
    assert.deepEqual(model.dispatch({ type: 'poll' }), []);
    fetchOf(model.dispatch({ type: 'connection', online: true }));
  });

  test('an answer to an older fetch is ignored; signed out, nothing is fetched or shown', () => {
    const { model, request } = started();
    assert.deepEqual(model.dispatch({ type: 'fetched', request: request + 5, result: ok({}) }), []);
    assert.equal(model.loaded, false);
    model.dispatch({ type: 'fetched', request, result: ok({ missed: [missed('c1', 0)] }) });
    assert.deepEqual(
      model.dispatch({ type: 'stop' }).map((effect) => effect.type),
      ['cancel-schedule', 'render', 'title'],
    );
    assert.deepEqual(model.rows, []);
    assert.deepEqual(model.dispatch({ type: 'poll' }), []);
    assert.deepEqual(model.dispatch({ type: 'call-ended' }), []);
  });

  test('a refused password stops polling (it would count toward the lock-out); rate-limited waits a minute', () => {
    const { model, request } = started();
    const refused = model.dispatch({ type: 'fetched', request, result: { kind: 'bad-password' } });
    assert.deepEqual(
      refused.map((effect) => effect.type),
      ['cancel-schedule', 'render'],
    );
    assert.match(model.problem ?? '', /password for this extension has changed/);
    assert.deepEqual(model.dispatch({ type: 'poll' }), []);
    assert.deepEqual(model.dispatch({ type: 'call-ended' }), []);

    const limited = started();
    const effects = limited.model.dispatch({
      type: 'fetched',
      request: limited.request,
      result: { kind: 'rate-limited' },
    });
    assert.deepEqual(effects[0], { type: 'schedule', delayMs: RATE_LIMITED_MS });
    const failed = started();
    failed.model.dispatch({ type: 'fetched', request: failed.request, result: { kind: 'failed' } });
    assert.match(failed.model.problem ?? '', /could not be loaded/);
    // The next good answer clears it.
    const next = fetchOf(failed.model.dispatch({ type: 'poll' }));
    failed.model.dispatch({ type: 'fetched', request: next, result: ok({}) });
    assert.equal(failed.model.problem, undefined);
  });

  test('Done hides the entry at once, POSTs with its kind and id, and it stays hidden until a fetch drops it', () => {
    const { model, request } = started();
    model.dispatch({
      type: 'fetched',
      request,
      result: ok({ missed: [missed('c1', 0)], callbacks: [callback('r1', 10)] }),
    });
    const effects = model.dispatch({ type: 'mark-done', key: 'call:c1' });
    assert.deepEqual(effects, [
      { type: 'post-done', key: 'call:c1', kind: 'call', id: 'c1' },
      { type: 'render' },
    ]);
    assert.deepEqual(
      model.rows.map((row) => row.key),
      ['callback:r1'],
    );
    // Pressed twice: one POST.
    assert.deepEqual(model.dispatch({ type: 'mark-done', key: 'call:c1' }), []);
    // Done: fetched again; a fetch that still lists it (it started before the POST) keeps it hidden.
    const after = fetchOf(model.dispatch({ type: 'marked', key: 'call:c1', result: 'done' }));
    model.dispatch({
      type: 'fetched',
      request: after,
      result: ok({ missed: [missed('c1', 0)], callbacks: [callback('r1', 10)] }),
    });
    assert.deepEqual(
      model.rows.map((row) => row.key),
      ['callback:r1'],
    );
    // A failed mark shows the entry again, and says so.
    model.dispatch({ type: 'mark-done', key: 'callback:r1' });
    model.dispatch({ type: 'marked', key: 'callback:r1', result: 'failed' });
    assert.deepEqual(
      model.rows.map((row) => row.key),
      ['callback:r1'],
    );
    assert.match(model.problem ?? '', /could not be marked done/);
  });

  test('done at another agent: gone from this list at the next poll', () => {
    const { model, request } = started();
    model.dispatch({ type: 'fetched', request, result: ok({ missed: [missed('c1', 0)] }) });
    const next = fetchOf(model.dispatch({ type: 'poll' }));
    model.dispatch({ type: 'fetched', request: next, result: ok({}) });
    assert.deepEqual(model.rows, []);
  });

  test('hidden tab: a new missed entry counts in the title and notifies; visible again, the title resets', () => {
    const { model, request } = started();
    // What was there at sign-in is not news.
    const first = model.dispatch({ type: 'fetched', request, result: ok({ missed: [missed('c0', 0)] }) });
    assert.equal(
      first.some((effect) => effect.type === 'notify'),
      false,
    );
    model.dispatch({ type: 'visibility', hidden: true });
    const second = fetchOf(model.dispatch({ type: 'poll' }));
    const effects = model.dispatch({
      type: 'fetched',
      request: second,
      result: ok({ missed: [missed('c1', 30, 'Ann'), missed('c0', 0)] }),
    });
    assert.deepEqual(
      effects.filter((effect) => effect.type === 'notify' || effect.type === 'title'),
      [
        { type: 'title' },
        { type: 'notify', title: 'Missed call from Ann', body: 'Front desk: Hung up after 0:12.' },
      ],
    );
    assert.equal(model.titlePrefix, '(1) Missed call — ');
    // The same entry again is no news; a callback request is.
    const third = fetchOf(model.dispatch({ type: 'poll' }));
    const more = model.dispatch({
      type: 'fetched',
      request: third,
      result: ok({ missed: [missed('c1', 30), missed('c0', 0)], callbacks: [callback('r1', 40, 'Bob')] }),
    });
    assert.deepEqual(
      more.find((effect) => effect.type === 'notify'),
      { type: 'notify', title: 'Bob asks to be called back', body: 'Front desk: +44 20 7946 0958' },
    );
    assert.equal(model.titlePrefix, '(2) Missed calls — ');
    assert.deepEqual(model.dispatch({ type: 'visibility', hidden: false }), [{ type: 'title' }]);
    assert.equal(model.titlePrefix, '');
    // Visible: new entries neither count nor notify.
    const fourth = fetchOf(model.dispatch({ type: 'poll' }));
    const visible = model.dispatch({
      type: 'fetched',
      request: fourth,
      result: ok({ missed: [missed('c5', 90), missed('c1', 30), missed('c0', 0)] }),
    });
    assert.equal(
      visible.some((effect) => effect.type === 'notify'),
      false,
    );
    assert.equal(model.titlePrefix, '');
  });

  test('several at once: one notification; the prefix and the times read as people write them', () => {
    const { model, request } = started(true);
    model.dispatch({ type: 'fetched', request, result: ok({}) });
    const next = fetchOf(model.dispatch({ type: 'poll' }));
    const effects = model.dispatch({
      type: 'fetched',
      request: next,
      result: ok({ missed: [missed('c1', 30), missed('c2', 20)], callbacks: [callback('r1', 10)] }),
    });
    assert.deepEqual(
      effects.filter((effect) => effect.type === 'notify'),
      [{ type: 'notify', title: '3 missed calls', body: 'Front desk: open the console to see them.' }],
    );
    assert.equal(missedTitlePrefix(0), '');
    const now = new Date(2026, 11, 3, 15, 0);
    assert.match(formatWhen(new Date(2026, 11, 3, 9, 5), now, 'en-GB'), /^0?9:05$/);
    assert.match(formatWhen(new Date(2026, 11, 3, 13, 5), now, 'en-US'), /^1:05\sPM$/);
    assert.match(formatWhen(new Date(2026, 11, 2, 9, 5), now, 'en-GB'), /^Yesterday 0?9:05$/);
    assert.match(formatWhen(new Date(2026, 10, 20, 9, 5), now, 'en-GB'), /^20 Nov 0?9:05$/);
    assert.match(formatWhen(new Date(2025, 10, 20, 9, 5), now, 'en-GB'), /^20 Nov 2025 0?9:05$/);
  });
});

/** Read afresh: an assertion on `flow.state` narrows its type for the lines after it. */
const kindOf = (flow: CallbackFlow): string => flow.state.kind;

describe('the caller page: Leave your number', () => {
  test('its checks give the same answers as the server (lengths in characters, trimmed, phone or e-mail)', () => {
    const cases = [
      { name: 'Ann', contact: '+44 20 7946 0958', message: '' },
      { name: 'Ann', contact: 'ann@example.com', message: 'Hi\nthere' },
      { name: '   ', contact: 'ann@example.com', message: '' },
      { name: 'Ann', contact: '12', message: '' },
      { name: 'Ann', contact: '1234', message: '' },
      { name: 'Ann', contact: 'not a contact', message: '' },
      { name: 'Ann', contact: 'ann@example', message: '' },
      { name: 'x'.repeat(100), contact: '(020) 7946-0958', message: 'y'.repeat(500) },
      { name: 'x'.repeat(101), contact: '02079460958', message: '' },
      { name: '😀'.repeat(100), contact: '02079460958', message: '' },
      { name: 'Ann', contact: '02079460958', message: 'y'.repeat(501) },
      { name: 'Ann\u0007', contact: '02079460958', message: '' },
      { name: 'Ann', contact: '02079460958', message: 'tab\tok' },
      { name: 'Ann', contact: '02079460958', message: 'bell\u0007' },
      { name: '<img src=x onerror=alert(1)>', contact: 'a@b.co', message: '<script>' },
    ];
    for (const fields of cases) {
      const server = callbackRequestProblem(fields);
      const page = checkCallback(fields);
      if ('request' in server) {
        assert.ok(page.ok, `the page accepts ${JSON.stringify(fields)}`);
        assert.deepEqual(page.request, server.request);
      } else {
        assert.ok(!page.ok, `the page refuses ${JSON.stringify(fields)}`);
        assert.equal(page.errors[server.field], server.problem, JSON.stringify(fields));
      }
    }
    // Every wrong field is said at once.
    const both = checkCallback({ name: '', contact: 'x', message: '' });
    assert.ok(!both.ok);
    assert.deepEqual(Object.keys(both.errors).sort(), ['contact', 'name']);
  });

  test("editing, sending, sent; a wrong field (the server's 400) under that field; rate-limited said", () => {
    const flow = new CallbackFlow();
    assert.deepEqual(flow.dispatch({ type: 'open' }), [{ type: 'focus', field: 'name' }]);
    assert.deepEqual(flow.dispatch({ type: 'submit', fields: { name: '', contact: '', message: '' } }), [
      { type: 'focus', field: 'name' },
    ]);
    assert.equal(kindOf(flow), 'editing');
    const fields = { name: ' Ann ', contact: 'ann@example.com', message: 'Call me' };
    const [send] = flow.dispatch({ type: 'submit', fields });
    assert.ok(send?.type === 'send');
    assert.deepEqual(send.request, { name: 'Ann', contact: 'ann@example.com', message: 'Call me' });
    assert.equal(kindOf(flow), 'sending');
    // Pressed again while sending: nothing.
    assert.deepEqual(flow.dispatch({ type: 'submit', fields }), []);
    const invalid = callbackSendResult(400, { error: 'invalid', field: 'contact', message: 'Nope.' });
    assert.deepEqual(flow.dispatch({ type: 'answered', attempt: send.attempt, result: invalid }), [
      { type: 'focus', field: 'contact' },
    ]);
    assert.deepEqual(flow.state, { kind: 'editing', errors: { contact: 'Nope.' }, problem: undefined });
    // Typing in another field leaves it; typing in that one clears it.
    flow.dispatch({ type: 'edit', field: 'name' });
    assert.deepEqual(flow.state, { kind: 'editing', errors: { contact: 'Nope.' }, problem: undefined });
    flow.dispatch({ type: 'edit', field: 'contact' });
    assert.deepEqual(flow.state, { kind: 'editing', errors: {}, problem: undefined });
    const [again] = flow.dispatch({ type: 'submit', fields });
    assert.ok(again?.type === 'send');
    // A stale answer is ignored.
    assert.deepEqual(
      flow.dispatch({ type: 'answered', attempt: send.attempt, result: { kind: 'created' } }),
      [],
    );
    flow.dispatch({ type: 'answered', attempt: again.attempt, result: callbackSendResult(429, {}) });
    assert.deepEqual(flow.state, { kind: 'editing', errors: {}, problem: SEND_PROBLEMS['rate-limited'] });
    const [last] = flow.dispatch({ type: 'submit', fields });
    assert.ok(last?.type === 'send');
    assert.deepEqual(
      flow.dispatch({
        type: 'answered',
        attempt: last.attempt,
        result: callbackSendResult(201, { id: 'x' }),
      }),
      [{ type: 'focus', field: 'title' }],
    );
    assert.equal(kindOf(flow), 'sent');
    flow.dispatch({ type: 'close' });
    assert.equal(kindOf(flow), 'closed');
    assert.equal(callbackSendResult(404, {}).kind, 'unknown-extension');
    assert.equal(callbackSendResult(500, {}).kind, 'failed');
  });

  test('offered while the extension is offline, and after a call nobody answered', () => {
    const base = { status: 'offline', connection: 'online' } as const;
    assert.equal(offersCallback({ ...base, view: 'idle' }), true);
    assert.equal(offersCallback({ ...base, status: 'ready', view: 'idle' }), false);
    assert.equal(
      offersCallback({ ...base, status: undefined, connection: 'connecting', view: 'idle' }),
      false,
    );
    assert.equal(offersCallback({ ...base, connection: 'gone', view: 'idle' }), false);
    for (const reason of ['timeout', 'unavailable'] as const) {
      assert.equal(offersCallback({ ...base, status: 'ready', view: 'ended', reason }), true, reason);
    }
    for (const reason of ['hangup', 'cancelled', 'you-hung-up', 'dropped'] as const) {
      assert.equal(offersCallback({ ...base, view: 'ended', reason }), false, reason);
    }
  });
});
