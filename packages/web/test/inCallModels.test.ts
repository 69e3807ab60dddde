/**
 * Unit tests of the in-call models (no browser): the call data channel's protocol and its validation of
 * what the other browser sends, the channel wrapper on a fake RTCDataChannel, the chat log, what the
 * view shows of the other party, and the ICE restart decisions on a fake clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { CallChannel, type DataChannelLike } from '../src/shared/CallChannel.js';
import { CHAT_HISTORY_LIMIT, ChatLog } from '../src/shared/ChatLog.js';
import {
  type CallChannelMessage,
  CHAT_MAX_LENGTH,
  chatText,
  encodeCallChannelMessage,
  FRAME_MAX_CHARS,
  parseCallChannelFrame,
  parseCallChannelMessage,
} from '../src/shared/callChannelProtocol.js';
import {
  ICE_RESTART_DEFAULTS,
  type IceRestartEffect,
  IceRestartPolicy,
  pathHealth,
} from '../src/shared/IceRestartPolicy.js';
import { RemoteStage } from '../src/shared/RemoteStage.js';
import { parseSignal } from '../src/shared/signalData.js';

const OFFER = { sdp: { type: 'offer' as const, sdp: 'v=0' } };

describe('call channel protocol', () => {
  test('every message type round-trips through encode and parse', () => {
    const messages: CallChannelMessage[] = [
      { type: 'hangup' },
      { type: 'media', muted: true, camera: 'off' },
      { type: 'media', muted: false, camera: 'none' },
      { type: 'chat', text: 'Hello <b>there</b> & "you"' },
      { type: 'signal', data: OFFER },
      { type: 'signal', data: { sdp: { type: 'answer', sdp: 'v=0' }, negotiation: 3 } },
      { type: 'signal', data: { candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 } } },
    ];
    for (const message of messages) {
      assert.deepEqual(parseCallChannelFrame(encodeCallChannelMessage(message)), { ok: true, message });
    }
  });

  test('frames that are not text, too large or not JSON are dropped', () => {
    assert.equal(parseCallChannelFrame(new ArrayBuffer(4)).ok, false);
    assert.equal(parseCallChannelFrame(undefined).ok, false);
    assert.equal(parseCallChannelFrame('{"type":"hangup"').ok, false);
    assert.equal(parseCallChannelFrame('').ok, false);
    const huge = JSON.stringify({ type: 'chat', text: 'x', pad: 'y'.repeat(FRAME_MAX_CHARS) });
    assert.deepEqual(parseCallChannelFrame(huge), { ok: false, reason: 'frame too large' });
  });

  test('anything but an object with a string type is refused', () => {
    for (const value of [null, 1, 'hangup', [], [{ type: 'hangup' }], {}, { type: 1 }, { type: null }]) {
      assert.equal(parseCallChannelMessage(value).ok, false, JSON.stringify(value));
    }
  });

  test('an unknown type is ignored (not an error), for later versions', () => {
    assert.deepEqual(parseCallChannelMessage({ type: 'reaction', emoji: '👍' }), {
      ok: false,
      reason: 'unknown type "reaction"',
      ignored: true,
    });
    // Prototype keys are not message types.
    assert.equal(parseCallChannelMessage({ type: 'constructor' }).ok, false);
    assert.equal(parseCallChannelMessage({ type: '__proto__' }).ok, false);
  });

  test('known types with missing or mistyped fields are refused; unknown fields are dropped', () => {
    const refused = [
      { type: 'media', muted: 'yes', camera: 'on' },
      { type: 'media', muted: true },
      { type: 'media', muted: true, camera: 'broken' },
      { type: 'chat' },
      { type: 'chat', text: 42 },
      { type: 'chat', text: '   ' },
      { type: 'chat', text: 'x'.repeat(CHAT_MAX_LENGTH + 1) },
      { type: 'signal' },
      { type: 'signal', data: { sdp: { type: 'rollback', sdp: '' } } },
      { type: 'signal', data: { sdp: { type: 'offer' } } },
      { type: 'signal', data: { ...OFFER, negotiation: -1 } },
      { type: 'signal', data: { ...OFFER, negotiation: 1.5 } },
      { type: 'signal', data: { ...OFFER, negotiation: '2' } },
      { type: 'signal', data: { candidate: { sdpMid: '0' } } },
      { type: 'signal', data: 'v=0' },
    ];
    for (const value of refused)
      assert.equal(parseCallChannelMessage(value).ok, false, JSON.stringify(value));
    assert.deepEqual(parseCallChannelMessage({ type: 'hangup', reason: 'bye', extra: { deep: true } }), {
      ok: true,
      message: { type: 'hangup' },
    });
    assert.deepEqual(
      parseCallChannelMessage({ type: 'media', muted: false, camera: 'on', volume: 11, __proto__: 1 }),
      { ok: true, message: { type: 'media', muted: false, camera: 'on' } },
    );
    assert.deepEqual(
      parseCallChannelMessage({
        type: 'signal',
        data: { candidate: { candidate: 'c', sdpMid: 7, sdpMLineIndex: '0', usernameFragment: 'u', x: 1 } },
      }),
      {
        ok: true,
        message: { type: 'signal', data: { candidate: { candidate: 'c', usernameFragment: 'u' } } },
      },
    );
  });

  test('chat text is trimmed and at most CHAT_MAX_LENGTH code points (emoji count once)', () => {
    assert.equal(chatText('  hi  '), 'hi');
    assert.equal(chatText(''), undefined);
    assert.equal(chatText('\n\t '), undefined);
    assert.equal(chatText('😀'.repeat(CHAT_MAX_LENGTH)), '😀'.repeat(CHAT_MAX_LENGTH));
    assert.equal(chatText('😀'.repeat(CHAT_MAX_LENGTH + 1)), undefined);
    assert.deepEqual(parseCallChannelMessage({ type: 'chat', text: '  <img src=x onerror=alert(1)>  ' }), {
      ok: true,
      message: { type: 'chat', text: '<img src=x onerror=alert(1)>' },
    });
  });

  test('parseSignal takes unknown input: the negotiation number is optional, 0 is the first', () => {
    assert.deepEqual(parseSignal({ ...OFFER, negotiation: 0 }), OFFER);
    assert.deepEqual(parseSignal({ ...OFFER, negotiation: 2 }), { ...OFFER, negotiation: 2 });
    assert.equal(parseSignal({ ...OFFER, negotiation: 2 ** 60 }), undefined);
    assert.equal(parseSignal(Object.create(null)), undefined);
  });
});

/** A data channel that records what is sent and lets the test deliver events. */
class FakeDataChannel implements DataChannelLike {
  readyState: RTCDataChannelState = 'connecting';
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closeCalls = 0;
  readonly #listeners = new Map<string, ((event: { data?: unknown }) => void)[]>();

  send(data: string): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError');
    this.sent.push(data);
  }

  close(): void {
    this.closeCalls++;
    this.readyState = 'closing';
  }

  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  fire(type: 'open' | 'close' | 'message', data?: unknown): void {
    if (type === 'open') this.readyState = 'open';
    if (type === 'close') this.readyState = 'closed';
    for (const listener of this.#listeners.get(type) ?? []) listener({ data });
  }
}

function listenedChannel() {
  const fake = new FakeDataChannel();
  const channel = new CallChannel(fake);
  const heard: (CallChannelMessage | 'open' | 'close')[] = [];
  channel.listen({
    open: () => heard.push('open'),
    close: () => heard.push('close'),
    message: (message) => heard.push(message),
  });
  return { fake, channel, heard };
}

describe('CallChannel', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('sends only while open; hands on valid messages and drops the rest', () => {
    const { fake, channel, heard } = listenedChannel();
    assert.equal(channel.send({ type: 'hangup' }), false, 'not open yet');
    fake.fire('open');
    assert.equal(channel.open, true);
    assert.equal(channel.send({ type: 'chat', text: 'hi' }), true);
    assert.deepEqual(fake.sent, ['{"type":"chat","text":"hi"}']);
    fake.fire('message', '{"type":"media","muted":true,"camera":"on"}');
    fake.fire('message', '{"type":"chat","text":""}');
    fake.fire('message', 'not json');
    fake.fire('message', new Uint8Array([123, 125]));
    fake.fire('message', '{"type":"later-feature"}');
    fake.fire('message', '{"type":"hangup"}');
    assert.deepEqual(heard, ['open', { type: 'media', muted: true, camera: 'on' }, { type: 'hangup' }]);
  });

  test('closeAfterFlush closes the channel and waits for its close, or gives up after the timeout', async () => {
    const first = listenedChannel();
    first.fake.fire('open');
    let done = false;
    const flushed = first.channel.closeAfterFlush(1000).then(() => {
      done = true;
    });
    assert.equal(first.fake.closeCalls, 1);
    await Promise.resolve();
    assert.equal(done, false);
    first.fake.fire('close');
    await flushed;
    assert.equal(done, true);

    const second = listenedChannel();
    second.fake.fire('open');
    let timedOut = false;
    const waited = second.channel.closeAfterFlush(1000).then(() => {
      timedOut = true;
    });
    mock.timers.tick(999);
    await Promise.resolve();
    assert.equal(timedOut, false);
    mock.timers.tick(1);
    await waited;
    assert.equal(timedOut, true);

    const never = listenedChannel();
    await never.channel.closeAfterFlush(1000); // never opened: nothing to wait for
    assert.equal(never.fake.closeCalls, 0);
  });
});

describe('ChatLog', () => {
  test('sends checked text, records it once transmitted, counts unread while closed', () => {
    const log = new ChatLog();
    const transmitted: string[] = [];
    const transmit = (text: string) => {
      transmitted.push(text);
      return true;
    };
    assert.deepEqual(log.send('hello', transmit), { ok: false, problem: 'not-connected' });
    log.setConnected(true);
    assert.deepEqual(log.send('   ', transmit), { ok: false, problem: 'empty' });
    assert.deepEqual(log.send('x'.repeat(CHAT_MAX_LENGTH + 1), transmit), { ok: false, problem: 'too-long' });
    assert.deepEqual(transmitted, []);
    const sent = log.send('  hello  ', transmit);
    assert.equal(sent.ok, true);
    assert.deepEqual(transmitted, ['hello']);
    assert.deepEqual(
      log.send('lost', () => false),
      { ok: false, problem: 'not-connected' },
    );

    log.receive('one');
    log.receive('two');
    assert.equal(log.unread, 2);
    log.setOpen(true);
    assert.equal(log.unread, 0);
    log.receive('three');
    assert.equal(log.unread, 0, 'read as it arrives while open');
    assert.deepEqual(
      log.entries.map((entry) => `${entry.from}:${entry.text}`),
      ['you:hello', 'them:one', 'them:two', 'them:three'],
    );
  });

  test('keeps the last CHAT_HISTORY_LIMIT messages', () => {
    const log = new ChatLog();
    for (let i = 0; i < CHAT_HISTORY_LIMIT + 5; i++) log.receive(`m${i}`);
    assert.equal(log.entries.length, CHAT_HISTORY_LIMIT);
    assert.equal(log.entries[0]?.text, 'm5');
  });
});

describe('RemoteStage', () => {
  test('connecting, then the video; without frames "Audio only"', () => {
    const stage = new RemoteStage();
    assert.deepEqual(stage.presentation, {
      video: false,
      note: 'Connecting…',
      muted: false,
      cameraOff: false,
      trouble: false,
    });
    stage.connection('connected');
    assert.equal(stage.presentation.note, 'Audio only');
    stage.frames(true);
    assert.deepEqual(stage.presentation, {
      video: true,
      note: '',
      muted: false,
      cameraOff: false,
      trouble: false,
    });
  });

  test('a camera turned off shows the placeholder, not the (black) video; muted shows the badge', () => {
    const stage = new RemoteStage();
    stage.connection('connected');
    stage.frames(true); // black frames keep coming from a disabled track
    stage.announced({ muted: true, camera: 'off' });
    assert.deepEqual(stage.presentation, {
      video: false,
      note: 'Camera off',
      muted: true,
      cameraOff: true,
      trouble: false,
    });
    stage.announced({ muted: false, camera: 'on' });
    assert.deepEqual(stage.presentation, {
      video: true,
      note: '',
      muted: false,
      cameraOff: false,
      trouble: false,
    });
    stage.announced({ muted: false, camera: 'none' });
    assert.equal(stage.presentation.video, false);
    assert.equal(stage.presentation.note, 'Audio only');
  });

  test('trouble once connected: disconnected, or a restart under way', () => {
    const stage = new RemoteStage();
    stage.connection('failed');
    assert.equal(stage.presentation.trouble, false, 'never connected: the page ends the call instead');
    stage.connection('connected');
    stage.frames(true);
    stage.connection('disconnected');
    assert.equal(stage.presentation.trouble, true);
    assert.equal(stage.presentation.video, true, 'the last picture stays');
    stage.connection('connected');
    stage.path('restarting');
    assert.equal(stage.presentation.trouble, true);
    stage.path('connected');
    assert.equal(stage.presentation.trouble, false);
  });
});

describe('pathHealth', () => {
  test('failed beats disconnected beats up; up needs ICE and DTLS connected', () => {
    assert.equal(pathHealth('connected', 'connected'), 'up');
    assert.equal(pathHealth('completed', 'connected'), 'up');
    assert.equal(pathHealth('connected', 'connecting'), 'pending');
    assert.equal(pathHealth('checking', 'connecting'), 'pending');
    assert.equal(pathHealth('disconnected', 'connected'), 'soft-down');
    assert.equal(pathHealth('connected', 'disconnected'), 'soft-down');
    assert.equal(pathHealth('disconnected', 'failed'), 'hard-down');
    assert.equal(pathHealth('failed', 'disconnected'), 'hard-down');
    assert.equal(pathHealth('closed', 'failed'), 'closed');
  });
});

describe('IceRestartPolicy', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  function policy(role: 'offerer' | 'answerer') {
    const effects: IceRestartEffect[] = [];
    const model = new IceRestartPolicy({ role, onEffect: (effect) => effects.push(effect) });
    return { model, effects };
  }

  const { disconnectedGraceMs, firstRetryMs, maxRetryMs, giveUpMs } = ICE_RESTART_DEFAULTS;

  test('a failure before the first connection gives up at once', () => {
    const { model, effects } = policy('offerer');
    model.observe('checking', 'connecting');
    model.observe('failed', 'failed');
    assert.deepEqual(effects, [{ type: 'give-up', reason: 'never-connected' }]);
    assert.equal(model.state, 'failed');
    model.observe('connected', 'connected');
    assert.equal(model.state, 'failed', 'final');
  });

  test('disconnected briefly: no restart; recovered says for how long', () => {
    const { model, effects } = policy('offerer');
    model.observe('connected', 'connected');
    model.observe('disconnected', 'connected');
    assert.equal(model.state, 'unstable');
    mock.timers.tick(disconnectedGraceMs - 1);
    model.observe('connected', 'connected');
    assert.deepEqual(effects, [{ type: 'recovered', downForMs: disconnectedGraceMs - 1, attempts: 0 }]);
    mock.timers.tick(giveUpMs * 2);
    assert.equal(effects.length, 1, 'no timer left running');
    assert.equal(model.state, 'connected');
  });

  test('disconnected for the grace period: the caller restarts, retries with backoff, recovers', () => {
    const { model, effects } = policy('offerer');
    model.observe('connected', 'connected');
    model.observe('disconnected', 'disconnected');
    mock.timers.tick(disconnectedGraceMs);
    assert.deepEqual(effects, [{ type: 'restart', attempt: 1 }]);
    assert.equal(model.state, 'restarting');
    model.observe('checking', 'connecting'); // the restart's checks: no news
    model.observe('failed', 'failed'); // the old path's end does not restart again meanwhile
    assert.equal(effects.length, 1);
    mock.timers.tick(firstRetryMs);
    assert.deepEqual(effects.at(-1), { type: 'restart', attempt: 2 });
    mock.timers.tick(firstRetryMs * 2 - 1);
    assert.equal(effects.length, 2);
    mock.timers.tick(1);
    assert.deepEqual(effects.at(-1), { type: 'restart', attempt: 3 });
    model.observe('connected', 'connected');
    assert.deepEqual(effects.at(-1), {
      type: 'recovered',
      downForMs: disconnectedGraceMs + firstRetryMs + firstRetryMs * 2,
      attempts: 3,
    });
    assert.equal(model.attempts, 0);
    // The next break starts over from the first attempt.
    model.observe('failed', 'failed');
    assert.deepEqual(effects.at(-1), { type: 'restart', attempt: 1 });
  });

  test('failed after connecting: the caller restarts at once; retries are capped at maxRetryMs', () => {
    const { model, effects } = policy('offerer');
    model.observe('connected', 'connected');
    model.observe('failed', 'connected');
    assert.deepEqual(effects, [{ type: 'restart', attempt: 1 }]);
    const restartsAt: number[] = [];
    const start = Date.now();
    while (model.state !== 'failed') {
      mock.timers.tick(100);
      const last = effects.at(-1);
      if (last?.type === 'restart' && last.attempt === restartsAt.length + 2)
        restartsAt.push(Date.now() - start);
    }
    // 4 s, then 8, then 16 (the cap), 16, ...; the give-up at 60 s wins over a retry due then.
    assert.deepEqual(restartsAt, [4_000, 12_000, 28_000, 44_000]);
    assert.equal(maxRetryMs, 16_000);
    assert.deepEqual(effects.at(-1), { type: 'give-up', reason: 'timeout' });
  });

  test('a way to the other side coming back retries at once', () => {
    const { model, effects } = policy('offerer');
    model.observe('connected', 'connected');
    model.observe('failed', 'failed');
    model.routeAvailable();
    assert.deepEqual(effects, [
      { type: 'restart', attempt: 1 },
      { type: 'restart', attempt: 2 },
    ]);
    model.observe('connected', 'connected');
    model.routeAvailable();
    assert.equal(effects.length, 3, 'only while restarting (the third effect is recovered)');
  });

  test('down for giveUpMs in a row: give up, and nothing more', () => {
    const { model, effects } = policy('offerer');
    model.observe('connected', 'connected');
    model.observe('disconnected', 'connected');
    mock.timers.tick(giveUpMs - 1);
    assert.ok(effects.every((effect) => effect.type === 'restart'));
    mock.timers.tick(1);
    assert.deepEqual(effects.at(-1), { type: 'give-up', reason: 'timeout' });
    assert.equal(model.state, 'failed');
    const count = effects.length;
    mock.timers.tick(giveUpMs);
    model.observe('connected', 'connected');
    assert.equal(effects.length, count);
  });

  test('the answerer never restarts: it waits for the caller, and gives up the same way', () => {
    const { model, effects } = policy('answerer');
    model.observe('connected', 'connected');
    model.observe('failed', 'failed');
    assert.equal(model.state, 'unstable');
    mock.timers.tick(giveUpMs - 1);
    assert.deepEqual(effects, []);
    model.observe('connected', 'connected');
    assert.deepEqual(effects, [{ type: 'recovered', downForMs: giveUpMs - 1, attempts: 0 }]);
    model.observe('disconnected', 'connected');
    mock.timers.tick(giveUpMs);
    assert.deepEqual(effects.at(-1), { type: 'give-up', reason: 'timeout' });
  });

  test('a transport that receives nothing for silenceMs counts as failed: the caller restarts at once', () => {
    const { model, effects } = policy('offerer');
    model.inbound(0); // before the first connection: not watched
    mock.timers.tick(ICE_RESTART_DEFAULTS.silenceMs * 2);
    model.inbound(0);
    assert.equal(model.state, 'new');
    model.observe('connected', 'connected');
    model.inbound(100);
    mock.timers.tick(500);
    model.inbound(200); // the last bytes, at +500
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(500);
      model.inbound(200);
    }
    assert.deepEqual(effects, [], '1.5 s of silence is not yet a broken path');
    mock.timers.tick(500);
    model.inbound(200);
    assert.deepEqual(effects, [{ type: 'restart', attempt: 1 }]);
    assert.equal(model.state, 'restarting');
    model.observe('connected', 'connected');
    assert.equal(model.state, 'restarting', 'ICE calling it connected is not enough while nothing arrives');
    mock.timers.tick(500);
    model.inbound(300);
    assert.deepEqual(effects.at(-1), { type: 'recovered', downForMs: 2_500, attempts: 1 });
    assert.equal(model.state, 'connected');
  });

  test('the answerer also notices silence, waits for the caller, and gives up counting from the last bytes', () => {
    const { model, effects } = policy('answerer');
    model.observe('connected', 'connected');
    model.inbound(100); // the last bytes, at 0
    mock.timers.tick(ICE_RESTART_DEFAULTS.silenceMs);
    model.inbound(100);
    assert.equal(model.state, 'unstable');
    mock.timers.tick(giveUpMs - ICE_RESTART_DEFAULTS.silenceMs - 1);
    assert.deepEqual(effects, []);
    mock.timers.tick(1);
    assert.deepEqual(effects, [{ type: 'give-up', reason: 'timeout' }]);
  });

  test('closing stops every timer', () => {
    const { model, effects } = policy('offerer');
    model.observe('connected', 'connected');
    model.observe('disconnected', 'connected');
    model.close();
    mock.timers.tick(giveUpMs * 2);
    assert.deepEqual(effects, []);
    assert.equal(model.state, 'closed');
    model.observe('closed', 'closed');
    assert.equal(model.state, 'closed');
  });
});
