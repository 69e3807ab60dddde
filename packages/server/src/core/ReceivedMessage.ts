import type { ClientMessage, ClientMessageOf } from '@pbx-peers/protocol';

/**
 * A signal as the core receives it: validated, plus the exact JSON text its `data` arrived in. Section
 * 5 relays data "unchanged", and text is what stays unchanged: re-serialising the parsed value would
 * turn `1e309` into `null` and `-0` into `0`, and would recurse through deep nesting (a signal nested a
 * few thousand levels deep, well under the frame limit, overflowed the stack while being written to the
 * receiver and cost it its connection). Passing the text on is also cheaper than writing it again.
 */
export type ReceivedSignal = ClientMessageOf<'signal'> & { readonly dataJson: string };

/** What the transport hands the core: a validated client message, signals with their data's text. */
export type ReceivedMessage = Exclude<ClientMessage, { type: 'signal' }> | ReceivedSignal;
