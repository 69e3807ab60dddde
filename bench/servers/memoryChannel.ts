import type { ListeningMessage, MemoryReport } from './ipcMessages.js';
import { isMemoryRequest } from './ipcMessages.js';

/**
 * The benchmark's side channel into a server process it started with `--expose-gc` and an IPC channel:
 * `{kind:"memory"}` forces full garbage collections and answers process.memoryUsage(). Only the
 * benchmark's own server scripts install it; the pbx-peers product has no such endpoint.
 */
export function serveMemoryOverIpc(): void {
  if (process.send === undefined) return;
  process.on('message', (message: unknown) => {
    if (!isMemoryRequest(message)) return;
    const collect = globalThis.gc;
    if (collect === undefined) throw new Error('start the server with --expose-gc');
    // Twice: the first pass can leave weakly held objects (and their finalizers) for the second.
    collect();
    setImmediate(() => {
      collect();
      const usage = process.memoryUsage();
      const report: MemoryReport = {
        kind: 'memory',
        rss: usage.rss,
        heapUsed: usage.heapUsed,
        heapTotal: usage.heapTotal,
        external: usage.external,
        arrayBuffers: usage.arrayBuffers,
      };
      process.send?.(report);
    });
  });
  // The runner owns this process: when it goes away, so do we.
  process.on('disconnect', () => process.exit(0));
}

export function announceListening(port: number): void {
  const message: ListeningMessage = { kind: 'listening', port };
  process.send?.(message);
}
