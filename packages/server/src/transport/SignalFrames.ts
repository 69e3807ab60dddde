import type { JsonValue, SignalDelivery } from '@pbx-peers/protocol';
import { jsonMemberText } from './jsonMemberText.js';

/**
 * Relays a signal's `data` as the exact JSON text it arrived in (protocol section 5: "delivered to the
 * other party unchanged"). A hot-path trick kept in the transport: the core sees and passes on the parsed
 * value, and this module maps that value back to its text when the signal is written out.
 *
 * Two reasons. Re-serialising with JSON.stringify recurses, so a signal nested a few thousand levels deep
 * (10 KB, well under the frame limit) would overflow the stack while being written to the *receiving*
 * peer and cost that peer its connection; the text is passed on without being walked. And an 8 KB SDP is
 * not escaped and copied once more per relay.
 *
 * Keyed on the parsed object, so an entry lives exactly as long as the signal it belongs to. Primitives
 * (strings, numbers, ...) cannot be keys and need no help: JSON.stringify of a primitive cannot recurse.
 */
const dataTextOf = new WeakMap<object, string>();

/** Remembers the text of `data` as it appears in the signal frame it was parsed from. */
export function rememberSignalDataText(frame: string, data: JsonValue): void {
  if (typeof data !== 'object' || data === null) return;
  const text = jsonMemberText(frame, 'data');
  if (text !== undefined) dataTextOf.set(data, text);
}

/** The frame for a signal delivery: what JSON.stringify would give, but with `data` as it arrived. */
export function signalFrame(signal: SignalDelivery): string {
  const { data } = signal;
  const dataText =
    (typeof data === 'object' && data !== null ? dataTextOf.get(data) : undefined) ?? JSON.stringify(data);
  return `{"type":"signal","callId":${JSON.stringify(signal.callId)},"data":${dataText}}`;
}
