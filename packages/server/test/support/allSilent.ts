import type { WireClient } from './WireClient.js';

/** `expectSilence` on several clients over the same window. */
export async function allSilent(ms: number, ...clients: WireClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.expectSilence(ms)));
}
