/** Server messages as the protocol spells them, for exact comparison with `assert.deepEqual`. */

export const READY = { type: 'event', topic: 'extension', status: 'ready' };
export const OFFLINE = { type: 'event', topic: 'extension', status: 'offline' };

export function sessionEvent(status: string, callId: string, extra: Record<string, unknown> = {}) {
  return { type: 'event', topic: 'session', status, callId, ...extra };
}
