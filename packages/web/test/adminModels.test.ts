/**
 * Issue 11 point 2, the web admin's logic without a browser: the API's answers read (and refused when
 * they are not what the server sends), the page's state (checking, sign-in and its answers, a 401 from
 * anywhere, sign-out, routes), the Extensions page (add, the password shown once, rename, new password
 * and remove after asking, a row removed elsewhere), the call history and callback filters as URLs and
 * API queries, and the Live page's cards and 2 s poller.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ApiResult,
  apiResult,
  type ExtensionRow,
  type LiveExtension,
  noBody,
  parseCallbacks,
  parseCalls,
  parseCreatedExtension,
  parseExtensions,
  parseLive,
  parsePassword,
  parseSession,
  parseSnippet,
} from '../src/admin/adminData.js';
import {
  type AdminState,
  CALLS_LIMIT,
  callbacksApiQuery,
  callbacksFilterOf,
  callbacksPageSearch,
  callsApiQuery,
  callsFilterOf,
  callsPageSearch,
  contactHref,
  formatSeconds,
  nextAdminState,
  partyName,
  pathOf,
  problemText,
  routeOf,
  signInFocus,
  signInNotice,
  sinceInstant,
} from '../src/admin/adminModel.js';
import {
  addProblem,
  type ExtensionsState,
  initialExtensions,
  nextExtensions,
  renameProblem,
  secretNote,
} from '../src/admin/extensionsModel.js';
import { LIVE_POLL_MS, LivePoller, liveCards, type Timers } from '../src/admin/liveModel.js';

const SESSION = { name: 'root', csrfToken: 'csrf-123' };
const ok = <T>(value: T): ApiResult<T> => ({ ok: true, value });
const fail = (
  problem: Extract<ApiResult<unknown>, { ok: false }>['problem'],
  message?: string,
): ApiResult<never> => (message === undefined ? { ok: false, problem } : { ok: false, problem, message });

function extension(id: string, name = id): ExtensionRow {
  return {
    id,
    name,
    createdAt: '2026-12-03T10:00:00.000Z',
    updatedAt: '2026-12-03T10:00:00.000Z',
    callerUrl: `http://pbx.test/ext/${id}`,
    agentUrl: `http://pbx.test/ext/${id}/agent`,
  };
}

describe('the admin API, read', () => {
  test('a session needs a name and a CSRF token', () => {
    assert.deepEqual(parseSession({ name: 'root', csrfToken: 'x', extra: 1 }), {
      name: 'root',
      csrfToken: 'x',
    });
    assert.equal(parseSession({ name: 'root' }), undefined);
    assert.equal(parseSession({ name: 'root', csrfToken: '' }), undefined);
    assert.equal(parseSession([]), undefined);
  });

  test('extensions: every row checked, one wrong row refuses the list', () => {
    const rows = [extension('front-desk', 'Front desk'), extension('sales')];
    assert.deepEqual(parseExtensions(rows), rows);
    assert.deepEqual(parseExtensions([]), []);
    assert.equal(parseExtensions([...rows, { id: 'x' }]), undefined);
    assert.equal(parseExtensions({ extensions: rows }), undefined);
  });

  test('a created extension carries its password; a new password and a snippet are non-empty strings', () => {
    const created = { id: 'a', name: 'A', password: 'secret', callerUrl: 'u', agentUrl: 'v' };
    assert.deepEqual(parseCreatedExtension(created), created);
    assert.equal(parseCreatedExtension({ ...created, password: '' }), undefined);
    assert.equal(parsePassword({ password: 'p' }), 'p');
    assert.equal(parsePassword({}), undefined);
    const snippet = '<script src="http://pbx.test/embed.js" data-extension="a" async></script>';
    assert.equal(parseSnippet({ snippet }), snippet);
    assert.equal(parseSnippet({ snippet: 1 }), undefined);
  });

  test('live: agents, ringing and connected calls, names null when not given', () => {
    const body = {
      extensions: [
        {
          id: 'front-desk',
          name: 'Front desk',
          agents: [{ name: 'Alice' }, { name: null }],
          ringing: [{ callId: 'c1', callerName: null, ringingSeconds: 4 }],
          connected: [{ callId: 'c2', callerName: 'Ann', agentName: 'Alice', connectedSeconds: 65 }],
        },
      ],
    };
    assert.deepEqual(parseLive(body), body.extensions);
    assert.equal(
      parseLive({ extensions: [{ ...body.extensions[0], ringing: [{ callId: 'c1' }] }] }),
      undefined,
    );
    assert.equal(parseLive([]), undefined);
  });

  test('calls and callback requests', () => {
    const call = {
      callId: 'c1',
      extensionId: 'front-desk',
      callerName: 'Ann',
      agentName: null,
      ringingAt: '2026-12-03T10:00:00.000Z',
      answeredAt: null,
      endedAt: '2026-12-03T10:00:12.000Z',
      outcome: 'abandoned',
      endedBy: 'caller',
      ringSeconds: 12,
      talkSeconds: null,
      doneAt: null,
      doneBy: null,
    };
    assert.deepEqual(parseCalls([call]), [call]);
    // Absent optional fields read as null.
    const { agentName: _a, answeredAt: _b, talkSeconds: _c, doneAt: _d, doneBy: _e, ...bare } = call;
    assert.deepEqual(parseCalls([bare]), [call]);
    assert.equal(parseCalls([{ ...call, outcome: 'exploded' }]), undefined);
    assert.equal(parseCalls([{ ...call, ringSeconds: -1 }]), undefined);

    const callback = {
      id: 'cb1',
      extensionId: 'front-desk',
      name: '<img src=x onerror=alert(1)>',
      contact: '+44 20 7946 0958',
      message: 'About my order',
      createdAt: '2026-12-03T10:00:00.000Z',
      doneAt: null,
      doneBy: null,
    };
    assert.deepEqual(parseCallbacks([callback]), [callback]);
    assert.equal(parseCallbacks([{ ...callback, contact: 3 }]), undefined);
  });

  test('answers: each status to its problem, with the server message where there is one', () => {
    assert.deepEqual(apiResult(200, { password: 'p' }, parsePassword), ok('p'));
    assert.deepEqual(apiResult(204, undefined, noBody), ok(true));
    assert.deepEqual(apiResult(200, { nope: 1 }, parsePassword), fail('failed'));
    assert.deepEqual(apiResult(401, { error: 'unauthorized' }, noBody), fail('unauthorized'));
    assert.deepEqual(apiResult(401, { error: 'bad-password' }, noBody), fail('bad-password'));
    assert.deepEqual(apiResult(403, { error: 'csrf' }, noBody), fail('csrf'));
    assert.deepEqual(apiResult(403, {}, noBody), fail('failed'));
    assert.deepEqual(apiResult(404, { error: 'not-found' }, noBody), fail('not-found'));
    assert.deepEqual(apiResult(429, { error: 'rate-limited' }, noBody), fail('rate-limited'));
    assert.deepEqual(
      apiResult(409, { error: 'duplicate', message: 'The id "a" is taken.' }, noBody),
      fail('duplicate', 'The id "a" is taken.'),
    );
    assert.deepEqual(
      apiResult(400, { error: 'invalid', message: 'Bad name.' }, noBody),
      fail('invalid', 'Bad name.'),
    );
    assert.deepEqual(apiResult(500, undefined, noBody), fail('failed'));
    assert.equal(problemText('invalid', 'Bad name.'), 'Bad name.');
    assert.match(problemText('csrf'), /out of date.*Try again/);
  });
});

describe('the admin page: sign-in, sessions, routes', () => {
  const checking: AdminState = { kind: 'checking', route: 'calls' };

  test('routes: /admin is Extensions, the others by name, anything else unknown', () => {
    assert.equal(routeOf('/admin'), 'extensions');
    assert.equal(routeOf('/admin/'), 'extensions');
    assert.equal(routeOf('/admin/extensions'), 'extensions');
    assert.equal(routeOf('/admin/live/'), 'live');
    assert.equal(routeOf('/admin/calls'), 'calls');
    assert.equal(routeOf('/admin/callbacks'), 'callbacks');
    assert.equal(routeOf('/admin/nope'), undefined);
    assert.equal(pathOf('live'), '/admin/live');
  });

  test('a session found signs in on the page asked for; none shows the form without a complaint', () => {
    assert.deepEqual(nextAdminState(checking, { type: 'session-checked', result: ok(SESSION) }), {
      kind: 'signed-in',
      route: 'calls',
      session: SESSION,
    });
    assert.deepEqual(nextAdminState(checking, { type: 'session-checked', result: fail('unauthorized') }), {
      kind: 'signed-out',
      route: 'calls',
      notice: undefined,
      busy: false,
    });
    const unreachable = nextAdminState(checking, { type: 'session-checked', result: fail('failed') });
    assert.equal(unreachable.kind === 'signed-out' && unreachable.notice, 'failed');
  });

  test('sign-in: busy while sent; a wrong password, a lock-out, a failure each say so; the right one signs in', () => {
    const form: AdminState = { kind: 'signed-out', route: 'live', notice: 'expired', busy: false };
    const sent = nextAdminState(form, { type: 'sign-in-sent' });
    assert.deepEqual(sent, { kind: 'signed-out', route: 'live', notice: undefined, busy: true });
    for (const [problem, notice] of [
      ['bad-password', 'bad-password'],
      ['rate-limited', 'rate-limited'],
      ['failed', 'failed'],
      ['csrf', 'failed'],
    ] as const) {
      assert.deepEqual(nextAdminState(sent, { type: 'signed-in', result: fail(problem) }), {
        kind: 'signed-out',
        route: 'live',
        notice,
        busy: false,
      });
    }
    assert.deepEqual(nextAdminState(sent, { type: 'signed-in', result: ok(SESSION) }), {
      kind: 'signed-in',
      route: 'live',
      session: SESSION,
    });
    assert.deepEqual(nextAdminState(form, { type: 'sign-in-missing' }), { ...form, notice: 'missing' });
  });

  test('the sign-in sentences: a lock-out says to wait; errors are alerts, news is a status', () => {
    assert.equal(signInNotice(undefined), undefined);
    assert.match(signInNotice('rate-limited')?.text ?? '', /Too many failed sign-in attempts.*wait/);
    assert.equal(signInNotice('rate-limited')?.tone, 'danger');
    assert.equal(signInNotice('bad-password')?.tone, 'danger');
    assert.equal(signInNotice('expired')?.tone, 'info');
    assert.equal(signInNotice('signed-out')?.text, 'You are signed out.');
    // Focus goes to what to fix: the password after a wrong one, the name when it is empty.
    assert.equal(signInFocus('bad-password', 'root'), 'password');
    assert.equal(signInFocus('missing', ''), 'name');
    assert.equal(signInFocus(undefined, ''), 'name');
    assert.equal(signInFocus('expired', 'root'), 'password');
  });

  test('a 401 from any request, or signing out, goes back to the form; navigating keeps the session', () => {
    const signedIn: AdminState = { kind: 'signed-in', route: 'extensions', session: SESSION };
    assert.deepEqual(nextAdminState(signedIn, { type: 'unauthorized' }), {
      kind: 'signed-out',
      route: 'extensions',
      notice: 'expired',
      busy: false,
    });
    assert.deepEqual(nextAdminState(signedIn, { type: 'signed-out' }), {
      kind: 'signed-out',
      route: 'extensions',
      notice: 'signed-out',
      busy: false,
    });
    assert.deepEqual(nextAdminState(signedIn, { type: 'navigate', route: 'live' }), {
      ...signedIn,
      route: 'live',
    });
    // A late 401 while signed out changes nothing (the same state object, so nothing re-renders).
    const out = nextAdminState(signedIn, { type: 'signed-out' });
    assert.equal(nextAdminState(out, { type: 'unauthorized' }), out);
  });
});

describe('the Extensions page', () => {
  const loaded = nextExtensions(initialExtensions, {
    type: 'loaded',
    result: ok([extension('front-desk', 'Front desk'), extension('sales', 'Sales')]),
  }).state;

  test('add: checked first; the created password is shown once, and the list reloads', () => {
    assert.equal(addProblem('', '')?.field, 'name');
    assert.equal(addProblem('Front desk', 'a b')?.field, 'id');
    assert.equal(addProblem('Front desk', 'x')?.field, 'id');
    assert.equal(addProblem('Front desk', ''), undefined);
    assert.equal(addProblem('Front desk', 'front_desk-2'), undefined);
    assert.equal(addProblem('x'.repeat(101), '')?.field, 'name');

    const sent = nextExtensions(loaded, { type: 'add-sent' }).state;
    assert.equal(sent.add.busy, true);
    const created = { id: 'support', name: 'Support', password: 'pw-1', callerUrl: 'u', agentUrl: 'v' };
    const step = nextExtensions(sent, { type: 'added', result: ok(created) });
    assert.equal(step.reload, true);
    assert.deepEqual(step.state.secret, { kind: 'created', ...created });
    assert.match(secretNote(step.state.secret ?? assert.fail()), /shown only now.*cannot be shown again/);
    assert.equal(step.state.add.busy, false);
    // Closed: gone for good.
    assert.equal(nextExtensions(step.state, { type: 'dismiss-secret' }).state.secret, undefined);
  });

  test("add refused: a taken id under the id field, the server's 400 message over the form", () => {
    const duplicate = nextExtensions(loaded, {
      type: 'added',
      result: fail('duplicate', 'The id "sales" is taken.'),
    });
    assert.deepEqual(duplicate.state.add.error, { field: 'id', message: 'The id "sales" is taken.' });
    const invalid = nextExtensions(loaded, { type: 'added', result: fail('invalid', 'Names are 1 to 100.') });
    assert.deepEqual(invalid.state.add.error, { field: 'form', message: 'Names are 1 to 100.' });
    assert.equal(nextExtensions(loaded, { type: 'added', result: fail('unauthorized') }).unauthorized, true);
  });

  test('rename: one row at a time, renamed in place', () => {
    assert.equal(renameProblem('  '), 'Enter a name.');
    let state: ExtensionsState = nextExtensions(loaded, {
      type: 'begin',
      id: 'sales',
      action: 'rename',
    }).state;
    assert.deepEqual(state.active, { id: 'sales', action: 'rename', busy: false, error: undefined });
    state = nextExtensions(state, { type: 'begin', id: 'front-desk', action: 'rename' }).state;
    assert.equal(state.active?.id, 'front-desk');
    state = nextExtensions(state, { type: 'send' }).state;
    assert.equal(state.active?.busy, true);
    state = nextExtensions(state, {
      type: 'renamed',
      id: 'front-desk',
      result: ok({ id: 'front-desk', name: 'Reception' }),
    }).state;
    assert.equal(state.active, undefined);
    assert.deepEqual(
      state.rows?.map((row) => row.name),
      ['Reception', 'Sales'],
    );
    assert.equal(state.notice, 'Renamed to Reception.');
  });

  test('new password after asking: shown once; remove after asking: the row goes', () => {
    let state = nextExtensions(loaded, { type: 'begin', id: 'sales', action: 'password' }).state;
    state = nextExtensions(state, { type: 'send' }).state;
    state = nextExtensions(state, { type: 'password-changed', id: 'sales', result: ok('pw-2') }).state;
    assert.deepEqual(state.secret, {
      kind: 'new-password',
      id: 'sales',
      name: 'Sales',
      password: 'pw-2',
      callerUrl: 'http://pbx.test/ext/sales',
    });
    assert.match(secretNote(state.secret ?? assert.fail()), /old one no longer works/);

    state = nextExtensions(state, { type: 'begin', id: 'sales', action: 'remove' }).state;
    state = nextExtensions(state, { type: 'cancel' }).state;
    assert.equal(state.active, undefined);
    assert.equal(state.rows?.length, 2);
    state = nextExtensions(state, { type: 'begin', id: 'sales', action: 'remove' }).state;
    state = nextExtensions(state, { type: 'removed', id: 'sales', result: ok(true) }).state;
    assert.deepEqual(
      state.rows?.map((row) => row.id),
      ['front-desk'],
    );
    // The password of a removed extension is of no use any more.
    assert.equal(state.secret, undefined);
    assert.equal(state.notice, 'Sales removed.');
  });

  test('a row removed elsewhere: the error said on the row, and the list reloads (the row then goes)', () => {
    let state = nextExtensions(loaded, { type: 'begin', id: 'sales', action: 'remove' }).state;
    const step = nextExtensions(state, { type: 'removed', id: 'sales', result: fail('not-found') });
    assert.equal(step.reload, true);
    assert.match(step.state.active?.error ?? '', /no longer exists/);
    state = nextExtensions(step.state, {
      type: 'loaded',
      result: ok([extension('front-desk', 'Front desk')]),
    }).state;
    assert.equal(state.active, undefined);
  });

  test('a list that cannot be loaded says why', () => {
    const step = nextExtensions(initialExtensions, { type: 'loaded', result: fail('failed') });
    assert.match(step.state.loadError ?? '', /could not be reached/);
    assert.equal(
      nextExtensions(initialExtensions, { type: 'loaded', result: fail('unauthorized') }).unauthorized,
      true,
    );
  });
});

describe('call history and callback filters', () => {
  test('calls: the page URL keeps the filter; the API gets an instant and a limit; the CSV no limit', () => {
    const filter = callsFilterOf('?extension=front-desk&since=2026-12-01&outcome=timeout,abandoned,bogus');
    assert.deepEqual(filter, {
      extension: 'front-desk',
      since: '2026-12-01',
      outcomes: ['abandoned', 'timeout'],
    });
    assert.equal(
      callsPageSearch(filter),
      '?extension=front-desk&since=2026-12-01&outcome=abandoned%2Ctimeout',
    );
    assert.deepEqual(callsFilterOf(callsPageSearch(filter)), filter);
    const since = new Date('2026-12-01T00:00:00').toISOString();
    assert.equal(sinceInstant('2026-12-01'), since);
    assert.equal(sinceInstant('yesterday'), undefined);
    const query = new URLSearchParams(callsApiQuery(filter, CALLS_LIMIT));
    assert.equal(query.get('extension'), 'front-desk');
    assert.equal(query.get('since'), since);
    assert.equal(query.get('outcome'), 'abandoned,timeout');
    assert.equal(query.get('limit'), String(CALLS_LIMIT));
    assert.equal(new URLSearchParams(callsApiQuery(filter, undefined)).has('limit'), false);
    // Every outcome ticked is no outcome filter; nothing set is no query at all.
    const everything = {
      extension: '',
      since: '',
      outcomes: ['answered', 'dropped', 'abandoned', 'timeout'],
    } as const;
    assert.equal(callsApiQuery({ ...everything, outcomes: [...everything.outcomes] }, undefined), '');
    assert.equal(callsPageSearch({ extension: '', since: '', outcomes: [] }), '');
    assert.deepEqual(callsFilterOf('?since=2026-13'), { extension: '', since: '', outcomes: [] });
  });

  test('callback requests: open ones by default', () => {
    assert.deepEqual(callbacksFilterOf(''), { extension: '', open: true });
    assert.deepEqual(callbacksFilterOf('?extension=a&open=0'), { extension: 'a', open: false });
    assert.equal(callbacksApiQuery({ extension: '', open: true }), '?open=1');
    assert.equal(callbacksApiQuery({ extension: 'a', open: false }), '?extension=a');
    assert.equal(callbacksPageSearch({ extension: '', open: true }), '');
    assert.equal(callbacksPageSearch({ extension: 'a', open: false }), '?extension=a&open=0');
  });

  test('text for people: names, durations, contacts', () => {
    assert.equal(partyName(null, 'caller'), 'Anonymous caller');
    assert.equal(partyName('  ', 'agent'), 'Unnamed agent');
    assert.equal(partyName('Ann', 'caller'), 'Ann');
    assert.equal(formatSeconds(65), '1:05');
    assert.equal(formatSeconds(null), '—');
    assert.equal(contactHref('ann@example.com'), 'mailto:ann@example.com');
    assert.equal(contactHref('+44 20 7946 0958'), 'tel:+442079460958');
    assert.equal(contactHref('javascript:alert(1)'), undefined);
    assert.equal(contactHref('call me maybe'), undefined);
  });
});

describe('the Live page', () => {
  const live: LiveExtension[] = [
    {
      id: 'front-desk',
      name: 'Front desk',
      agents: [{ name: 'Alice' }, { name: null }],
      ringing: [{ callId: 'c1', callerName: null, ringingSeconds: 4 }],
      connected: [{ callId: 'c2', callerName: 'Ann', agentName: 'Alice', connectedSeconds: 65 }],
    },
    { id: 'sales', name: 'Sales', agents: [], ringing: [], connected: [] },
  ];

  test('cards: agents by name, calls with who and how long, counting on since the answer', () => {
    const cards = liveCards(live, 10_000, 12_500);
    assert.deepEqual(cards[0], {
      id: 'front-desk',
      name: 'Front desk',
      summary: '2 agents signed in · 1 ringing · 1 connected',
      state: 'ready',
      agents: ['Alice', 'Unnamed agent'],
      ringing: [{ callId: 'c1', who: 'Anonymous caller', duration: '0:06' }],
      connected: [{ callId: 'c2', who: 'Ann with Alice', duration: '1:07' }],
    });
    assert.equal(cards[1]?.state, 'offline');
    assert.equal(cards[1]?.summary, '0 agents signed in');
    // A clock that went back never counts down.
    assert.equal(liveCards(live, 10_000, 9_000)[0]?.ringing[0]?.duration, '0:04');
  });

  /** Timers run by hand. */
  function fakeTimers() {
    let now = 0;
    const pending = new Map<number, { at: number; callback: () => void }>();
    let next = 1;
    const timers: Timers = {
      set: (callback, ms) => {
        const id = next++;
        pending.set(id, { at: now + ms, callback });
        return id;
      },
      clear: (handle) => {
        pending.delete(handle as number);
      },
      now: () => now,
    };
    const advance = async (ms: number) => {
      now += ms;
      for (const [id, timer] of [...pending]) {
        if (timer.at <= now) {
          pending.delete(id);
          timer.callback();
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { timers, advance, pending };
  }

  test('the poller: at once, then 2 s after each answer, one at a time; stop drops a late answer', async () => {
    const { timers, advance, pending } = fakeTimers();
    const answers: ((result: ApiResult<LiveExtension[]>) => void)[] = [];
    const results: [ApiResult<LiveExtension[]>, number][] = [];
    const poller = new LivePoller(
      () => new Promise((resolve) => answers.push(resolve)),
      (result, at) => results.push([result, at]),
      timers,
    );
    poller.start();
    assert.equal(answers.length, 1);
    await advance(5_000);
    assert.equal(answers.length, 1, 'no second request while the first is on its way');
    answers[0]?.(ok(live));
    await advance(0);
    assert.deepEqual(results, [[ok(live), 5_000]]);
    await advance(LIVE_POLL_MS - 1);
    assert.equal(answers.length, 1);
    await advance(1);
    assert.equal(answers.length, 2);
    poller.stop();
    answers[1]?.(ok([]));
    await advance(LIVE_POLL_MS * 3);
    assert.equal(results.length, 1, 'the answer after stop is dropped');
    assert.equal(pending.size, 0);
    assert.equal(poller.running, false);
  });

  test('the poller stops on a 401 and goes on after a failure', async () => {
    const { timers, advance } = fakeTimers();
    const queue: ApiResult<LiveExtension[]>[] = [fail('failed'), fail('unauthorized')];
    let requests = 0;
    const poller = new LivePoller(
      async () => {
        requests += 1;
        return queue.shift() ?? ok([]);
      },
      () => undefined,
      timers,
    );
    poller.start();
    await advance(0);
    assert.equal(requests, 1);
    await advance(LIVE_POLL_MS);
    assert.equal(requests, 2);
    assert.equal(poller.running, false);
    await advance(LIVE_POLL_MS * 3);
    assert.equal(requests, 2);
  });
});
