import type { ResumingState } from '@pbx-peers/client';
import type { RegistrationState } from './Registration.js';

export interface AgentStatus {
  /** The pill's `data-state`, which colours it. */
  state: 'offline' | 'connecting' | 'busy' | 'ready';
  text: string;
}

/** The agent console's status pill. */
export function agentStatus(
  registration: RegistrationState['kind'],
  connection: ResumingState,
  inCall: boolean,
): AgentStatus {
  if (registration === 'signed-out' || registration === 'signing-in') {
    return { state: 'offline', text: 'Signed out' };
  }
  if (connection === 'gone') return { state: 'offline', text: 'Removed' };
  // Not registered right now; a call in progress goes on meanwhile (its media needs no server).
  if (connection !== 'online' || registration === 'registering-again') {
    return { state: 'connecting', text: 'Reconnecting…' };
  }
  return inCall ? { state: 'busy', text: 'In a call' } : { state: 'ready', text: 'Signed in' };
}

/**
 * The line above the waiting calls, saying the same as the pill: a removed extension is said in the pill
 * and here, not in a banner that contradicts them.
 */
export function consoleHint(connection: ResumingState): string {
  if (connection === 'gone') return 'This extension was removed: no more calls will ring here.';
  if (connection !== 'online') return 'Reconnecting to the server: calls ring here again once it is back.';
  return 'You are receiving calls for this extension.';
}
