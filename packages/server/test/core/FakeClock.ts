import type { Clock } from '../../src/core/Clock.js';

/** A clock that moves only when told, running due timers in time order. */
export class FakeClock implements Clock {
  private current = 0;
  private timers: Array<{ at: number; callback: () => void }> = [];

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, ms: number): () => void {
    const timer = { at: this.current + ms, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.callback();
    }
    this.current = until;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }
}
