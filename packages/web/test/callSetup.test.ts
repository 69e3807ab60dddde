/** Unit tests of what makes a call start fast: held signals, warm standbys, the video start bitrate. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SignalData } from '../src/shared/PeerSession.js';
import { SignalOutbox } from '../src/shared/SignalOutbox.js';
import { WarmStandby } from '../src/shared/WarmStandby.js';
import { withStartBitrate } from '../src/shared/withStartBitrate.js';

const OFFER: SignalData = { sdp: { type: 'offer', sdp: 'v=0 (no candidates yet)' } };
const candidate = (n: number): SignalData => ({ candidate: { candidate: `candidate:${n}`, sdpMid: '0' } });

describe('SignalOutbox', () => {
  test('not held: every signal goes out at once', () => {
    const sent: SignalData[] = [];
    const outbox = new SignalOutbox((data) => sent.push(data), false);
    outbox.send(OFFER);
    outbox.send(candidate(1));
    assert.deepEqual(sent, [OFFER, candidate(1)]);
    assert.equal(outbox.held, false);
  });

  test('held: nothing goes out; on release the current offer (with its candidates) replaces the trickle', () => {
    const sent: SignalData[] = [];
    const outbox = new SignalOutbox((data) => sent.push(data), true);
    outbox.send(OFFER);
    outbox.send(candidate(1));
    outbox.send(candidate(2));
    assert.deepEqual(sent, []);
    outbox.release({ type: 'offer', sdp: 'v=0 a=candidate:1 a=candidate:2' });
    assert.deepEqual(sent, [{ sdp: { type: 'offer', sdp: 'v=0 a=candidate:1 a=candidate:2' } }]);
    outbox.send(candidate(3));
    assert.deepEqual(sent.at(-1), candidate(3), 'later candidates trickle');
    outbox.release({ type: 'offer', sdp: 'again' });
    assert.equal(sent.length, 2, 'a second release sends nothing');
  });

  test('released before the offer exists: the offer goes out when made', () => {
    const sent: SignalData[] = [];
    const outbox = new SignalOutbox((data) => sent.push(data), true);
    outbox.release(null);
    outbox.send(OFFER);
    assert.deepEqual(sent, [OFFER]);
  });

  test('without a usable current description, what was held goes out as it was, in order', () => {
    const sent: SignalData[] = [];
    const outbox = new SignalOutbox((data) => sent.push(data), true);
    outbox.send(OFFER);
    outbox.send(candidate(1));
    outbox.release({ type: 'rollback' });
    assert.deepEqual(sent, [OFFER, candidate(1)]);
  });
});

/** A fake resource with a flag for "its tracks were stopped". */
interface FakeMedia {
  id: number;
  stopped: boolean;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function fakeStandby(options: { maxAgeMs?: number; now?: () => number } = {}) {
  const made: FakeMedia[] = [];
  const pending: ReturnType<typeof deferred<FakeMedia>>[] = [];
  const standby = new WarmStandby<FakeMedia>({
    create: () => {
      const next = deferred<FakeMedia>();
      pending.push(next);
      return next.promise;
    },
    dispose: (media) => {
      media.stopped = true;
    },
    ...options,
  });
  /** Completes the oldest creation still open. */
  const finish = () => {
    const media = { id: made.length + 1, stopped: false };
    made.push(media);
    pending.shift()?.resolve(media);
    return media;
  };
  return { standby, made, pending, finish };
}

describe('WarmStandby', () => {
  test('made while wanted, handed over on take, not made again by take', async () => {
    const { standby, pending, finish } = fakeStandby();
    assert.equal(standby.state, 'idle');
    standby.want(true);
    standby.want(true);
    assert.equal(pending.length, 1, 'want is idempotent');
    const media = finish();
    await tick();
    assert.equal(standby.state, 'ready');
    assert.equal(await standby.take(), media);
    assert.equal(standby.state, 'idle');
    assert.equal(media.stopped, false, 'the taker owns it');
  });

  test('no longer wanted: the ready value is disposed of (the camera light goes off)', async () => {
    const { standby, finish } = fakeStandby();
    standby.want(true);
    const media = finish();
    await tick();
    standby.want(false);
    assert.equal(media.stopped, true);
    assert.equal(standby.state, 'idle');
  });

  test('let go of while still being made: disposed of as soon as it exists', async () => {
    const { standby, finish } = fakeStandby();
    standby.want(true);
    standby.want(false);
    const media = finish();
    await tick();
    assert.equal(media.stopped, true);
    assert.equal(standby.state, 'idle');
  });

  test('taken while being made: the taker gets it when ready, and it is not disposed of', async () => {
    const { standby, finish } = fakeStandby();
    standby.want(true);
    const taken = standby.take();
    standby.want(false);
    const media = finish();
    assert.equal(await taken, media);
    await tick();
    assert.equal(media.stopped, false);
  });

  test('take with nothing ready makes one for the taker', async () => {
    const { standby, pending, finish } = fakeStandby();
    const taken = standby.take();
    assert.equal(pending.length, 1);
    const media = finish();
    assert.equal(await taken, media);
    assert.equal(standby.state, 'idle');
  });

  test('a value given back is kept while wanted, else disposed of', async () => {
    const { standby } = fakeStandby();
    const kept = { id: 1, stopped: false };
    standby.want(true); // starts one of its own
    standby.want(false);
    standby.giveBack(kept);
    assert.equal(kept.stopped, true, 'not wanted: disposed of');

    const { standby: second, pending } = fakeStandby();
    const back = { id: 2, stopped: false };
    second.giveBack(back);
    assert.equal(back.stopped, true, 'never wanted: disposed of');
    second.want(true);
    second.want(false);
    assert.equal(pending.length, 1);
  });

  test('given back while wanted: kept for the next take, unless another one is being made', async () => {
    const { standby, pending, finish } = fakeStandby();
    standby.want(true);
    const first = finish();
    await tick();
    const taken = await standby.take();
    standby.giveBack(taken); // the answer lost; calls still ring
    assert.equal(taken.stopped, false);
    assert.equal(standby.state, 'ready');
    assert.equal(await standby.take(), first, 'taken again without making one');
    assert.equal(pending.length, 0);

    standby.want(true); // a new one is being made...
    standby.giveBack(first); // ...so the one given back is not needed
    assert.equal(first.stopped, true);
  });

  test('a failed creation is not retried by want, only by the next take', async () => {
    const { standby, pending } = fakeStandby();
    standby.want(true);
    pending.shift()?.reject(new Error('camera blocked'));
    await tick();
    assert.equal(standby.state, 'idle');
    standby.want(true);
    assert.equal(pending.length, 0, 'not asked again at the next ring');
    const taken = standby.take();
    assert.equal(pending.length, 1, 'Answer asks again');
    pending.shift()?.reject(new Error('still blocked'));
    await assert.rejects(taken, /still blocked/);
  });

  test('a value older than maxAgeMs is made again when taken', async () => {
    let now = 0;
    const { standby, pending, finish } = fakeStandby({ maxAgeMs: 30_000, now: () => now });
    standby.want(true);
    const old = finish();
    await tick();
    now = 30_001;
    const taken = standby.take();
    assert.equal(old.stopped, true);
    assert.equal(pending.length, 1);
    const fresh = finish();
    assert.equal(await taken, fresh);
  });
});

describe('withStartBitrate', () => {
  const sdp = [
    'v=0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102',
    'a=rtpmap:96 VP8/90000',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'a=rtpmap:102 H264/90000',
    'a=fmtp:102 packetization-mode=1',
    '',
  ].join('\r\n');

  test('adds the start bitrate to every video codec, not to audio or retransmission formats', () => {
    assert.equal(
      withStartBitrate(sdp, 1500),
      [
        'v=0',
        'm=audio 9 UDP/TLS/RTP/SAVPF 111',
        'a=rtpmap:111 opus/48000/2',
        'a=fmtp:111 minptime=10;useinbandfec=1',
        'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102',
        'a=rtpmap:96 VP8/90000',
        'a=fmtp:96 x-google-start-bitrate=1500',
        'a=rtpmap:97 rtx/90000',
        'a=fmtp:97 apt=96',
        'a=rtpmap:102 H264/90000',
        'a=fmtp:102 packetization-mode=1;x-google-start-bitrate=1500',
        '',
      ].join('\r\n'),
    );
  });

  test('idempotent, and leaves a description without video alone', () => {
    assert.equal(withStartBitrate(withStartBitrate(sdp)), withStartBitrate(sdp));
    const audioOnly = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n';
    assert.equal(withStartBitrate(audioOnly), audioOnly);
  });
});
