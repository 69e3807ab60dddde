import type { WireMessage } from '../support/WireClient.js';

/**
 * Section 7 on one peer's whole history, independently of the model: for each call, no `claimed` or
 * `abandoned` before its `ringing`, and no signal before the peer was connected in it (its `connected`
 * response as the answerer, the `connected` event as the caller). Returns the first breach, if any.
 */
export function sectionSevenBreach(history: readonly WireMessage[]): string | undefined {
  const rung = new Set<unknown>();
  const connected = new Set<unknown>();
  for (const [index, message] of history.entries()) {
    const { callId } = message;
    if (message.type === 'event' && message.topic === 'session') {
      if (message.status === 'ringing') rung.add(callId);
      if ((message.status === 'claimed' || message.status === 'abandoned') && !rung.has(callId)) {
        return `message ${index} ${JSON.stringify(message)} came before any ringing for that call`;
      }
      if (message.status === 'connected') connected.add(callId);
    }
    if (message.type === 'response' && message.request === 'answer' && message.status === 'connected') {
      connected.add(callId);
    }
    if (message.type === 'signal' && !connected.has(callId)) {
      return `message ${index} ${JSON.stringify(message)} came before this peer was connected in that call`;
    }
  }
  return undefined;
}
