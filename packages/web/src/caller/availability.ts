import type { ExtensionStatus, ResumingState } from '@pbx-peers/client';

export interface AvailabilityInput {
  /** What the page last heard about the extension; undefined while it is not connected. */
  status: ExtensionStatus | undefined;
  connection: ResumingState;
  /** False when this browser cannot make calls (no WebRTC, insecure page). */
  browserCanCall: boolean;
}

export interface Availability {
  /** The status pill: `data-state` and text. */
  pill: { state: 'ready' | 'offline' | 'connecting'; text: string };
  /** Whether Call (and Call again) may be pressed. */
  canCall: boolean;
  /** The line under the button. */
  hint: string;
}

/** The caller page's status pill, Call buttons and hint, from what it knows of the extension and the server. */
export function availability({ status, connection, browserCanCall }: AvailabilityInput): Availability {
  const online = connection === 'online';
  const canCall = status === 'ready' && online && browserCanCall;
  if (status === 'ready') return { pill: { state: 'ready', text: 'Ready' }, canCall, hint: '' };
  if (status === 'offline') {
    return {
      pill: { state: 'offline', text: 'Offline' },
      canCall,
      hint: 'Nobody is available right now. This page updates by itself when someone is.',
    };
  }
  const text =
    connection === 'gone' ? 'Unavailable' : connection === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
  return {
    pill: { state: 'connecting', text },
    canCall,
    hint: connection === 'reconnecting' ? 'Waiting for the connection to come back…' : '',
  };
}
