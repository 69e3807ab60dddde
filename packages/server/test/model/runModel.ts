import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { startClusterModelServer, startSingleModelServer } from './modelServer.js';
import { programArbitrary } from './programs.js';
import { ModelMismatch, RunStats, runProgram } from './runProgram.js';

/**
 * `npm run test:model -- --runs N --seed S [--cluster]`: the model-based protocol test at any length, on one
 * process or (`--cluster`) on three nodes sharing the machine's Redis. Prints the
 * seed (a failure is replayed with the same one), progress, and on failure the shrunk program; exits 1
 * on failure.
 */

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    seed: { type: 'string' },
    'max-steps': { type: 'string', default: '30' },
    cluster: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const maxSteps = Number(values['max-steps']);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || !Number.isInteger(maxSteps)) {
  console.error('Usage: test:model [--runs N] [--seed S] [--max-steps M] [--cluster] (whole numbers)');
  process.exit(2);
}

const startServer = values.cluster ? startClusterModelServer : startSingleModelServer;
console.log(
  `model test: ${runs} runs, seed ${seed}, up to ${maxSteps} steps per program, on ${values.cluster ? 'three Redis nodes' : 'one process'}`,
);
const stats = new RunStats();
const started = Date.now();
let attempts = 0;
const progress = setInterval(() => {
  console.log(
    `  ${stats.programs} programs passed (${attempts} tried incl. shrinking), ${stats.steps} steps, ` +
      `${stats.messageTotal} messages checked, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}, 5_000);

const result = await fc.check(
  fc.asyncProperty(programArbitrary({ maxSlots: 5, maxSteps }), (program) => {
    attempts++;
    return runProgram(program, { startServer }, stats);
  }),
  { seed, numRuns: runs },
);
clearInterval(progress);

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (result.failed) {
  console.error(
    `\nFAILED after ${result.numRuns} run(s), ${result.numShrinks} shrink(s), in ${seconds} s (seed ${seed}).`,
  );
  const [program] = result.counterexample ?? [];
  const failure = result.errorInstance;
  // fast-check shrinks arrays from the front; steps after the one that failed cannot matter.
  const shown =
    program !== undefined && failure instanceof ModelMismatch
      ? { ...program, steps: program.steps.slice(0, failure.stepIndex + 1) }
      : program;
  console.error('Shrunk counterexample (steps after the failing one dropped):');
  console.error(JSON.stringify(shown, null, 2));
  console.error(
    `\n${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`,
  );
  console.error(`\nReplay: npm run test:model -- --runs ${runs} --seed ${seed}`);
  process.exit(1);
}
console.log(
  `passed: ${result.numRuns} programs, ${stats.steps} steps (${stats.racingSteps} with racing outcomes), ` +
    `${stats.messageTotal} messages checked, in ${seconds} s (seed ${seed})`,
);
const kinds = [...stats.messages.entries()].sort(([a], [b]) => a.localeCompare(b));
console.log(kinds.map(([kind, n]) => `  ${kind}: ${n}`).join('\n'));
