/**
 * Why a call ended, from this page's point of view:
 * - `you-hung-up`: this side pressed Hang up (`cancelled` when the call was still ringing);
 * - `hangup`, `dropped`, `timeout`: the protocol's `disconnected` reasons (the other side hung up, its
 *   connection dropped, nobody answered before the ring timeout);
 * - `unavailable`: the extension was offline, or the call was no longer ringing;
 * - `connection-lost`: this page's own connection to the server dropped;
 * - `media-failed`: the audio/video connection (ICE, DTLS) failed.
 */
export type CallEndReason =
  | 'you-hung-up'
  | 'cancelled'
  | 'hangup'
  | 'dropped'
  | 'timeout'
  | 'unavailable'
  | 'connection-lost'
  | 'media-failed';

export type CallSide = 'caller' | 'agent';

export interface CallEndText {
  title: string;
  detail: string;
  tone: 'neutral' | 'warning' | 'danger';
}

export function describeCallEnd(reason: CallEndReason, side: CallSide): CallEndText {
  const other = side === 'caller' ? 'The person you called' : 'The caller';
  switch (reason) {
    case 'you-hung-up':
      return { title: 'Call ended', detail: 'You hung up.', tone: 'neutral' };
    case 'cancelled':
      return { title: 'Call cancelled', detail: 'You hung up before anyone answered.', tone: 'neutral' };
    case 'hangup':
      return { title: 'Call ended', detail: `${other} hung up.`, tone: 'neutral' };
    case 'dropped':
      return {
        title: 'Line dropped',
        detail: `${other} lost their connection, so the call ended.`,
        tone: 'warning',
      };
    case 'timeout':
      return {
        title: 'No answer',
        detail: 'Nobody answered in time. Please try again later.',
        tone: 'warning',
      };
    case 'unavailable':
      return side === 'caller'
        ? {
            title: 'Unavailable',
            detail: 'Nobody is available to take your call right now. Please try again later.',
            tone: 'warning',
          }
        : {
            title: 'Call no longer available',
            detail: 'Someone else answered it first, or the caller hung up.',
            tone: 'neutral',
          };
    case 'connection-lost':
      return {
        title: 'Connection lost',
        detail: 'Your connection to the server dropped, so the call ended.',
        tone: 'danger',
      };
    case 'media-failed':
      return {
        title: 'Call failed',
        detail: 'The audio and video connection could not be set up or was interrupted.',
        tone: 'danger',
      };
  }
}
