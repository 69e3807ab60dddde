import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReconnectGate } from '../../src/backend/redis/ReconnectGate.js';

/** When a node takes new peers again after its Redis connections dropped (docs/protocol.md section 10). */
describe('ReconnectGate', () => {
  it('closes at the first drop and opens once every connection that dropped is back and checked', async () => {
    const changes: boolean[] = [];
    const gate = new ReconnectGate((open) => changes.push(open));
    gate.dropped('commands');
    gate.dropped('subscriber');
    gate.dropped('commands');
    assert.deepEqual(changes, [false]);
    await gate.back('subscriber', async () => {});
    assert.equal(gate.open, false, 'the commands connection is still down');
    await gate.back('commands', async () => {});
    assert.deepEqual(changes, [false, true]);
  });

  it('a check that ends after its connection dropped again does not open it', async () => {
    const changes: boolean[] = [];
    const gate = new ReconnectGate((open) => changes.push(open));
    gate.dropped('commands');
    let finishCheck = () => {};
    const checking = gate.back('commands', () => new Promise<void>((resolve) => (finishCheck = resolve)));
    gate.dropped('commands');
    finishCheck();
    await checking;
    assert.equal(gate.open, false);
    await gate.back('commands', async () => {});
    assert.deepEqual(changes, [false, true]);
  });
});
