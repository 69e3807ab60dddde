import type { DisconnectReason, ExtensionStatus } from '@pbx-peers/protocol';

/**
 * What one part of the core tells peers of an extension, possibly on another server process.
 * A notice is addressed to an audience and turned into wire messages (and local state changes) by the
 * process that holds each addressed peer, at the moment that peer's queue runs it.
 */
export type Notice =
  | { kind: 'ringing'; callId: string; name?: string }
  | { kind: 'claimed'; callId: string }
  | { kind: 'abandoned'; callId: string }
  | { kind: 'connected'; callId: string; answererPeerId: string }
  | { kind: 'disconnected'; callId: string; reason: DisconnectReason }
  | { kind: 'extension'; status: ExtensionStatus }
  /** `dataJson`: the signal's data as the JSON text it arrived in (see `ReceivedSignal`). */
  | { kind: 'signal'; callId: string; dataJson: string };

/** Who a notice is for, within one extension. */
export type Audience =
  | { kind: 'peer'; peerId: string }
  /** Every peer registered to the extension. */
  | { kind: 'registered' }
  /** Every initialized peer of the extension that is not registered. */
  | { kind: 'unregistered' };

export type NoticeHandler = (extensionId: string, audience: Audience, notice: Notice) => void;
