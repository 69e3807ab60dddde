import type { ExtensionStatus, ServerMessage } from '@pbx-peers/protocol';
import type { LocalSession } from './LocalPeer.js';

/** A message for an absent peer, kept to be sent when it resumes (protocol section 8). */
export type KeptMessage = { message: ServerMessage } | { callId: string; dataJson: string };

/**
 * An absent peer moving from one server process to another that a client resumed it on (protocol section
 * 8): everything the core keeps for it, and the messages kept while it was away, in order. Plain data, so
 * a backend can carry it between processes.
 */
export interface PeerHandover {
  peerId: string;
  registered: boolean;
  name?: string;
  session?: LocalSession;
  announcedCalls: string[];
  settledCalls: string[];
  knownStatus?: ExtensionStatus;
  knownStatusSeq: number;
  kept: KeptMessage[];
}

/** Where a peer's routing is moved when it is handed over: the calls it is in go with it. */
export interface PeerMove {
  peerId: string;
  callId?: string;
}
