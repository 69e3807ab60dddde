/** Messages between the runner and a server script it started with an IPC channel. */

export interface ListeningMessage {
  kind: 'listening';
  port: number;
}

export interface MemoryRequest {
  kind: 'memory';
}

/** process.memoryUsage() after forced garbage collection, bytes. */
export interface MemoryReport {
  kind: 'memory';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isListeningMessage(value: unknown): value is ListeningMessage {
  return isRecord(value) && value.kind === 'listening' && typeof value.port === 'number';
}

export function isMemoryRequest(value: unknown): value is MemoryRequest {
  return isRecord(value) && value.kind === 'memory' && value.rss === undefined;
}

export function isMemoryReport(value: unknown): value is MemoryReport {
  return isRecord(value) && value.kind === 'memory' && typeof value.rss === 'number';
}
