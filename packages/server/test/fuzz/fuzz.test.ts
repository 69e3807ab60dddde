import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameGenerator, type FuzzFrame, type FuzzTarget } from './FrameGenerator.js';
import { expectationOf } from './frameExpectation.js';
import { describeFrame, fuzzServer } from './fuzzServer.js';
import { SeededRandom } from './SeededRandom.js';

/**
 * The short run of the frame fuzzer (the long one is `npm run fuzz`): a fixed seed, a few thousand
 * frames against a real server with bystanders, victims and three fuzzing lanes (see fuzzServer.ts).
 */

const SEED = 20_260_607;
const FRAMES = 3_000;

const TARGET: FuzzTarget = {
  ownPeerId: 'own-peer',
  ownCallId: 'own-call',
  knownCallIds: ['other-call'],
  foreignPeerIds: ['other-peer'],
  password: 'secret',
  maxFrameBytes: 65_536,
};

function draw(seed: number, count: number): FuzzFrame[] {
  const generator = new FrameGenerator(new SeededRandom(seed));
  return Array.from({ length: count }, () => generator.next(TARGET));
}

describe('frame generator', () => {
  it('is deterministic: the same seed gives the same frames, another seed others', () => {
    assert.deepEqual(draw(7, 500), draw(7, 500));
    assert.notDeepEqual(draw(7, 50), draw(8, 50));
  });

  it('covers every kind of frame the fuzzer promises', () => {
    const frames = draw(SEED, FRAMES);
    const kinds = new Set(frames.map((frame) => expectationOf(frame, TARGET.maxFrameBytes).kind));
    assert.deepEqual([...kinds].sort(), ['close', 'error', 'message']);
    for (const prefix of [
      'valid',
      'mutated',
      'random JSON',
      'garbage',
      'deep',
      'near the limit',
      'over the limit',
      'invalid UTF-8',
      'binary',
      'empty',
    ]) {
      assert.ok(
        frames.some((frame) => frame.label.startsWith(prefix)),
        `no "${prefix}" frame in ${FRAMES}`,
      );
    }
    assert.ok(frames.some((frame) => frame.label.startsWith('deep arrays x5000 as signal data')));
  });
});

describe('frame fuzzer against a real server', () => {
  it(`${FRAMES} frames (seed ${SEED}): no crash, no bystander or victim closed, contract-shaped replies, state unchanged`, async () => {
    const report = await fuzzServer({ seed: SEED, frames: FRAMES });
    const { failure } = report;
    assert.equal(
      failure,
      undefined,
      failure === undefined
        ? ''
        : `frame ${failure.frameIndex} (${failure.lane} lane): ${failure.problem}\n` +
            `  ${failure.frame === undefined ? '(between frames)' : describeFrame(failure.frame)}`,
    );
    assert.equal(report.framesSent, FRAMES);
    // The run reached the interesting paths: closes for oversize and invalid UTF-8, relayed signals.
    assert.ok((report.closes[1009] ?? 0) > 0, 'no frame over the limit was sent');
    assert.ok(report.relayedSignals > 50, `only ${report.relayedSignals} signals relayed`);
    assert.ok(report.relayedDeepSignals > 0, 'no deeply nested signal was relayed');
  });
});
