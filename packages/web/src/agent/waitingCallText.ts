import type { CallEndText } from '../shared/describeCallEnd.js';
import { formatDuration } from '../shared/formatDuration.js';

export interface AnswerBlockInput {
  /** This agent is in a call. */
  inCall: boolean;
  /** This agent pressed Answer on a call and the answer has not settled yet. */
  answering: boolean;
  /** The signalling connection is online. */
  online: boolean;
  /** False when this browser cannot take part in calls (no WebRTC, insecure page). */
  browserCanCall: boolean;
}

/**
 * Why the waiting calls' Answer buttons are disabled, said next to them (and named by their
 * `aria-describedby`); undefined when they can be pressed.
 */
export function answerBlocked({
  inCall,
  answering,
  online,
  browserCanCall,
}: AnswerBlockInput): string | undefined {
  if (!browserCanCall) return 'This browser cannot take calls, so Answer is off.';
  if (inCall) return 'You are in a call: hang up to answer a waiting call.';
  if (answering) return 'Connecting the call you answered…';
  if (!online) return 'Reconnecting to the server: you can answer once the connection is back.';
  return undefined;
}

/**
 * What the console says when a call it saw ringing stopped before anyone answered it (the caller hung up,
 * or the ring timeout ended it: the protocol's `abandoned` says not which): it replaces whatever the
 * console said about an earlier call ("Call ended — You hung up" is no longer the news).
 */
export function missedCall(callerName: string, waitedMs: number): CallEndText {
  return {
    title: `Missed call from ${callerName}`,
    detail: `The call ended before anyone answered, after ${formatDuration(waitedMs)} waiting.`,
    tone: 'warning',
  };
}
