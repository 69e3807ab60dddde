/**
 * The long frame fuzzer: `npm run fuzz -- --frames N --seed S`. Prints the seed, progress, and on
 * failure the frame that broke it; exits 1 on failure. The seed reproduces the run's frames (only the
 * ids the server issues differ between runs).
 */
import { parseArgs } from 'node:util';
import { describeFrame, type FuzzProgress, fuzzServer } from './fuzzServer.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '50000' },
    seed: { type: 'string' },
    'progress-every': { type: 'string', default: '5000' },
  },
});

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(`--${name} must be a non-negative integer, got "${text}"\n`);
    process.exit(2);
  }
  return value;
}

const frames = positiveInteger('frames', values.frames);
const seed =
  values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positiveInteger('seed', values.seed);
const progressEvery = Math.max(1, positiveInteger('progress-every', values['progress-every']));

const line = (progress: FuzzProgress) =>
  `${progress.framesSent} frames in ${(progress.elapsedMs / 1000).toFixed(1)} s` +
  ` (${Math.round(progress.framesSent / (progress.elapsedMs / 1000))}/s), closes ${JSON.stringify(progress.closes)},` +
  ` signals relayed ${progress.relayedSignals}` +
  ` (${progress.relayedDeepSignals} deep), lane restarts ${progress.laneRestarts}`;

process.stdout.write(`fuzz: seed ${seed}, ${frames} frames\n`);
const report = await fuzzServer({
  seed,
  frames,
  progressEvery,
  onProgress: (progress) => process.stdout.write(`fuzz: ${line(progress)}\n`),
});
if (report.failure === undefined) {
  process.stdout.write(`fuzz: PASS ${line(report)}; seed ${seed}\n`);
  process.exit(0);
}
const { failure } = report;
process.stdout.write(
  `fuzz: FAIL at frame ${failure.frameIndex} (${failure.lane} lane), seed ${seed}\n` +
    `  problem: ${failure.problem}\n` +
    `  frame: ${failure.frame === undefined ? '(none: a check between frames)' : describeFrame(failure.frame)}\n` +
    `  reproduce: npm run fuzz -- --seed ${seed} --frames ${failure.frameIndex + 1}\n`,
);
process.exit(1);
