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
  if (connection === 'gone') return { state: 'offline', text: 'Unavailable' };
  // Not registered right now; a call in progress goes on meanwhile (its media needs no server).
  if (connection !== 'online' || registration === 'registering-again') {
    return { state: 'connecting', text: 'Reconnecting…' };
  }
  return inCall ? { state: 'busy', text: 'In a call' } : { state: 'ready', text: 'Signed in' };
}
