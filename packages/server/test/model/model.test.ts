import { describe, it } from 'node:test';
import fc from 'fast-check';
import { startSingleModelServer } from './modelServer.js';
import { programArbitrary } from './programs.js';
import { runProgram } from './runProgram.js';

/**
 * The model-based test of the whole protocol: random programs against the real server over real
 * WebSockets, every received message checked against the reference model. A fixed seed keeps `npm test`
 * reproducible; `npm run test:model -- --runs N --seed S` explores further.
 */

const SEED = 20_240_607;
const RUNS = 40;

describe('the protocol model', () => {
  it(`holds for ${RUNS} random programs (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(programArbitrary({ maxSlots: 5, maxSteps: 30 }), (program) =>
        runProgram(program, { startServer: startSingleModelServer }),
      ),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
  });
});
