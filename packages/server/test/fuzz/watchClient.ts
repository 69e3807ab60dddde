import { parseServerMessage } from '@pbx-peers/protocol';
import type { RawData } from 'ws';
import type { WireClient } from '../support/WireClient.js';

export interface ClientWatch {
  /** From now on a close is expected (the harness closes it, or a frame was meant to close it). */
  release(): void;
}

/**
 * Checks every frame a client receives against the contract (`parseServerMessage` must accept it; the
 * server sends no binary frames) and, for a `guarded` client (a bystander or victim), reports any close
 * it did not ask for. Problems are reported as they happen, so they are blamed on the frame being fuzzed.
 */
export function watchClient(
  client: WireClient,
  role: string,
  guarded: boolean,
  report: (problem: string) => void,
): ClientWatch {
  let released = !guarded;
  client.socket.on('message', (data: RawData, isBinary: boolean) => {
    const chunks = Array.isArray(data) ? data : [Buffer.from(data as Buffer)];
    const text = Buffer.concat(chunks).toString('utf8');
    if (isBinary) return report(`${role} received a binary frame: ${preview(text)}`);
    const parsed = parseServerMessage(text);
    if (!parsed.ok)
      report(`${role} received a frame outside the contract (${parsed.reason}): ${preview(text)}`);
  });
  client.socket.once('close', (code: number, reason: Buffer) => {
    if (!released) report(`${role} was closed by the server: ${code} ${reason.toString('utf8')}`);
  });
  return {
    release() {
      released = true;
    },
  };
}

export function preview(text: string, limit = 300): string {
  const shown = JSON.stringify(text.length > limit ? text.slice(0, limit) : text);
  return text.length > limit ? `${shown}... (${text.length} characters)` : shown;
}
