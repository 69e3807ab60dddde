/**
 * Calls `fire(k, dueAt)` for k = 0, 1, 2... at `rate` per second from `startAt` (performance.now() ms)
 * until `endAt`, catching up at once when the process fell behind: each event keeps its scheduled time,
 * so a late send is measured as late (no coordinated omission). Sleeps with setTimeout in between
 * (about 1 ms granularity; events due meanwhile leave together, each still stamped with its own time).
 */
export function runSchedule(
  rate: number,
  startAt: number,
  endAt: number,
  fire: (index: number, dueAt: number) => void,
): Promise<number> {
  const interval = 1000 / rate;
  let index = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      let dueAt = startAt + index * interval;
      while (dueAt <= now && dueAt < endAt) {
        fire(index, dueAt);
        index++;
        dueAt = startAt + index * interval;
      }
      if (dueAt >= endAt) return resolve(index);
      setTimeout(tick, Math.max(0, dueAt - performance.now()));
    };
    tick();
  });
}
