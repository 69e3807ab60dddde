import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TypedEmitter } from '../src/TypedEmitter.js';

interface Events {
  count: number;
  word: string;
}

class Emitter extends TypedEmitter<Events> {
  fire<K extends keyof Events>(event: K, payload: Events[K]): void {
    this.emit(event, payload);
  }
}

describe('TypedEmitter', () => {
  it('calls on-listeners for every event of their name, in registration order', () => {
    const emitter = new Emitter();
    const seen: string[] = [];
    emitter.on('count', (n) => seen.push(`a${n}`));
    emitter.on('count', (n) => seen.push(`b${n}`));
    emitter.on('word', (w) => seen.push(w));
    emitter.fire('count', 1);
    emitter.fire('word', 'x');
    emitter.fire('count', 2);
    assert.deepEqual(seen, ['a1', 'b1', 'x', 'a2', 'b2']);
  });

  it('calls a once-listener a single time', () => {
    const emitter = new Emitter();
    const seen: number[] = [];
    emitter.once('count', (n) => seen.push(n));
    emitter.fire('count', 1);
    emitter.fire('count', 2);
    assert.deepEqual(seen, [1]);
  });

  it('removes listeners by the returned function or by off()', () => {
    const emitter = new Emitter();
    const seen: string[] = [];
    const byReturn = (n: number) => seen.push(`return${n}`);
    const byOff = (n: number) => seen.push(`off${n}`);
    const beforeFiring = (n: number) => seen.push(`once${n}`);
    const unsubscribe = emitter.on('count', byReturn);
    emitter.on('count', byOff);
    emitter.once('count', beforeFiring)();
    unsubscribe();
    emitter.off('count', byOff);
    emitter.fire('count', 1);
    assert.deepEqual(seen, []);
  });

  it('does not call a listener added during an emit until the next one', () => {
    const emitter = new Emitter();
    const seen: number[] = [];
    emitter.once('count', () => emitter.on('count', (n) => seen.push(n)));
    emitter.fire('count', 1);
    emitter.fire('count', 2);
    assert.deepEqual(seen, [2]);
  });
});
