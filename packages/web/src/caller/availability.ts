import type { ExtensionStatus, ResumingState } from '@pbx-peers/client';

export interface AvailabilityInput {
  /** What the page last heard about the extension; undefined while it is not connected. */
  status: ExtensionStatus | undefined;
  connection: ResumingState;
  /** False when this browser cannot make calls (no WebRTC, insecure page). */
  browserCanCall: boolean;
  /** This page's own call, when it has one under way: the pill then says where it is, not "Ready". */
  call?: OwnCall | undefined;
}

/** The caller's own call, as far as the pill is concerned; `agentName` once an agent who gave one answered. */
export type OwnCall = { kind: 'preparing' } | { kind: 'ringing' } | { kind: 'connected'; agentName?: string };

export interface Availability {
  /** The status pill: `data-state` and text. */
  pill: { state: 'ready' | 'offline' | 'connecting' | 'busy'; text: string };
  /** Whether Call (and Call again) may be pressed. */
  canCall: boolean;
  /** The line under the button. */
  hint: string;
}

/** The caller page's status pill, Call buttons and hint, from what it knows of the extension and the server. */
export function availability({ status, connection, browserCanCall, call }: AvailabilityInput): Availability {
  const online = connection === 'online';
  const canCall = status === 'ready' && online && browserCanCall;
  // While the page's own call is under way the pill is about it (a drop meanwhile is the banner's).
  if (call !== undefined) return { pill: { state: 'busy', text: ownCallText(call) }, canCall, hint: '' };
  if (connection === 'gone') return { pill: REMOVED, canCall: false, hint: REMOVED_HINT };
  if (status === 'ready') return { pill: { state: 'ready', text: 'Ready' }, canCall, hint: '' };
  if (status === 'offline') {
    return {
      pill: { state: 'offline', text: 'Offline' },
      canCall,
      hint: 'Nobody is available right now. This page updates by itself when someone is.',
    };
  }
  const text = connection === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
  return {
    pill: { state: 'connecting', text },
    canCall,
    hint: connection === 'reconnecting' ? 'Waiting for the connection to come back…' : '',
  };
}

/** The extension was removed from the server (the connection closed with 4404): for good. */
export const REMOVED = { state: 'offline', text: 'Removed' } as const;
const REMOVED_HINT = 'This extension no longer exists, so it cannot take calls.';

function ownCallText(call: OwnCall): string {
  switch (call.kind) {
    case 'preparing':
      return 'Calling…';
    case 'ringing':
      return 'Ringing…';
    case 'connected':
      return call.agentName === undefined ? 'In a call' : `Talking to ${call.agentName}`;
  }
}
