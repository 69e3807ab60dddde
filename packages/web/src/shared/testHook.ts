import type { ResumingState } from '@pbx-peers/client';

/** One step of a call, when it happened: `performance.timeOrigin + performance.now()`, in ms since the epoch. */
export interface TimelineMark {
  name: string;
  at: number;
}

/**
 * `window.__pbxTest`: what the end-to-end tests (packages/web/test) read from a page. It exposes the
 * current call's RTCPeerConnection (for `getStats()`: packets received, the selected candidate pair), the
 * signalling connection's state, and a timeline of the steps of setting up a call (to see where the time
 * between Answer and the first frame goes). Read-only by convention; the app never reads it back, and it
 * holds nothing the page's own scripts could not already reach (no password).
 */
export interface PbxTestHook {
  /** The current call's RTCPeerConnection; null between calls. */
  pc: RTCPeerConnection | null;
  connection: ResumingState;
  /** Every mark since the page loaded, oldest first; bounded so that a page left open does not grow. */
  timeline: TimelineMark[];
  /**
   * The one trigger: makes the current call's caller restart ICE now (PeerSession.restartIce), as it does
   * when the media path fails, so that a test can exercise a restart without breaking the network. Null
   * between calls.
   */
  restartIce?: (() => void) | null;
}

declare global {
  interface Window {
    __pbxTest?: PbxTestHook;
  }
}

export const testHook: PbxTestHook = { pc: null, connection: 'connecting', timeline: [] };
// Guarded so that the modules that mark steps can also be loaded by the unit tests, in Node.
if (typeof window !== 'undefined') window.__pbxTest = testHook;

const TIMELINE_LIMIT = 500;

/** Notes that a step of call setup happened now, on the machine's clock (comparable across pages). */
export function mark(name: string): void {
  const timeline = testHook.timeline;
  if (timeline.length >= TIMELINE_LIMIT) timeline.shift();
  timeline.push({ name, at: performance.timeOrigin + performance.now() });
}
