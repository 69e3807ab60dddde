import type { Page } from 'playwright-core';
import { eventually, type TimelineMark } from './pageProbes.js';

/**
 * What the in-call tests read from a page: the ICE credentials of the current negotiation, the page's
 * marks, and a recorder of the remote video's `currentTime` to measure how long it stood still. As in
 * pageProbes.ts, the functions passed to `page.evaluate` stay free of imports and nested named functions.
 */

export interface IceCredentials {
  local: string | null;
  remote: string | null;
  iceConnectionState: string;
  connectionState: string;
}

/** The `a=ice-ufrag` of the current local and remote descriptions: an ICE restart changes both. */
export function iceCredentials(page: Page): Promise<IceCredentials | null> {
  return page.evaluate(() => {
    const pc = (window as unknown as { __pbxTest?: { pc: RTCPeerConnection | null } }).__pbxTest?.pc;
    if (pc === null || pc === undefined) return null;
    return {
      local: /a=ice-ufrag:(\S+)/.exec(pc.currentLocalDescription?.sdp ?? '')?.[1] ?? null,
      remote: /a=ice-ufrag:(\S+)/.exec(pc.currentRemoteDescription?.sdp ?? '')?.[1] ?? null,
      iceConnectionState: pc.iceConnectionState,
      connectionState: pc.connectionState,
    };
  });
}

/** Marks (see src/shared/testHook.ts) whose name starts with `prefix`. */
export function marks(page: Page, prefix: string): Promise<TimelineMark[]> {
  return page.evaluate(
    (start) =>
      ((window as unknown as { __pbxTest?: { timeline: TimelineMark[] } }).__pbxTest?.timeline ?? []).filter(
        (entry) => entry.name.startsWith(start),
      ),
    prefix,
  );
}

/** Waits for a mark starting with `prefix` at or after `since` (ms since the epoch); returns it. */
export async function waitForMark(
  page: Page,
  prefix: string,
  since: number,
  timeoutMs: number,
  label: string,
): Promise<TimelineMark> {
  const found = await eventually(
    () => marks(page, prefix),
    (list) => list.some((entry) => entry.at >= since),
    timeoutMs,
    `${label}: no ${prefix} mark`,
  );
  const mark = found.find((entry) => entry.at >= since);
  if (mark === undefined) throw new Error(`${label}: no ${prefix} mark`);
  return mark;
}

/** Waits until the page's data channel is open (its `channel:open` mark). */
export function waitForChannel(page: Page, timeoutMs: number, label: string): Promise<TimelineMark> {
  return waitForMark(page, 'channel:open', 0, timeoutMs, label);
}

/**
 * Starts recording the remote video's progress in the page, every 10 ms, as the page's `Date.now()`: each
 * moment its `currentTime` moves on, into `window.__videoAdvances`, and each moment a new frame was decoded
 * (`getVideoPlaybackQuality().totalVideoFrames` grew), into `window.__videoFrames`; see `longestStall`.
 * (Chromium moves a live stream's `currentTime` on with the clock even while no media arrives, so the
 * frames are what shows a stall.) A string, so that nothing of the test's compiled code has to exist in
 * the page.
 */
export function recordVideoAdvances(page: Page): Promise<void> {
  return page.evaluate(`(() => {
    const video = document.querySelector('video[aria-label="Remote video"]');
    window.__videoAdvances = [];
    window.__videoFrames = [];
    let lastTime = -1;
    let lastFrames = -1;
    const keep = (list) => { list.push(Date.now()); if (list.length > 20000) list.shift(); };
    setInterval(() => {
      if (video.currentTime !== lastTime) {
        lastTime = video.currentTime;
        keep(window.__videoAdvances);
      }
      const frames = video.getVideoPlaybackQuality().totalVideoFrames;
      if (frames !== lastFrames) {
        lastFrames = frames;
        keep(window.__videoFrames);
      }
    }, 10);
  })()`);
}

export interface VideoStall {
  /** The last advance at or before the break... */
  lastBefore: number;
  /** ...and the first one after the longest gap that follows: the picture moves again. */
  firstAfter: number;
  /** From the break to `firstAfter`: what the issue calls the interruption. */
  fromBreakMs: number;
  /** The longest gap between two advances after the break. */
  gapMs: number;
}

/**
 * The longest time the remote video stood still after `breakAt`, by gaps that end by `until` (the page's
 * and the test's clock are the machine's): by its `currentTime` (`advances`) or by the frames decoded (`frames`).
 */
export async function longestStall(
  page: Page,
  breakAt: number,
  series: 'advances' | 'frames' = 'advances',
  until = Number.POSITIVE_INFINITY,
): Promise<VideoStall | null> {
  const times = await page.evaluate(
    (name) =>
      (window as unknown as Record<string, number[] | undefined>)[
        name === 'frames' ? '__videoFrames' : '__videoAdvances'
      ] ?? [],
    series,
  );
  let best: VideoStall | null = null;
  for (let i = 1; i < times.length; i++) {
    const before = times[i - 1] as number;
    const after = times[i] as number;
    if (after < breakAt) continue;
    if (after > until) break;
    const gap = after - before;
    if (best === null || gap > best.gapMs) {
      best = { lastBefore: before, firstAfter: after, fromBreakMs: after - breakAt, gapMs: gap };
    }
  }
  return best;
}

/**
 * Starts watching the page's rendered text (`document.body.innerText`, every 25 ms) for each of `texts`:
 * the first moment (the page's `Date.now()`) each one showed goes into `window.__textsSeen`; see
 * `textsSeen`. For "this never showed" over a stretch of time, not only at the moment of an assertion. A
 * string, as in `recordVideoAdvances`.
 */
export function watchForTexts(page: Page, texts: readonly string[]): Promise<void> {
  return page.evaluate(`(() => {
    const texts = ${JSON.stringify(texts)};
    window.__textsSeen = {};
    setInterval(() => {
      const shown = document.body.innerText;
      for (const text of texts) {
        if (window.__textsSeen[text] === undefined && shown.includes(text)) window.__textsSeen[text] = Date.now();
      }
    }, 25);
  })()`);
}

/** The texts `watchForTexts` saw on the page, each with the first moment it showed. */
export function textsSeen(page: Page): Promise<Record<string, number>> {
  return page.evaluate(
    () => (window as unknown as { __textsSeen?: Record<string, number> }).__textsSeen ?? {},
  );
}

/**
 * Waits until the remote video has decoded a frame after `since` (a moment when it had stopped, e.g. when
 * ICE said disconnected), then returns its longest stall after `breakAt` by frames.
 */
export async function videoMovesAgain(
  page: Page,
  breakAt: number,
  since: number,
  timeoutMs: number,
): Promise<VideoStall> {
  const stall = await eventually(
    () => longestStall(page, breakAt, 'frames'),
    (value) => value !== null && value.firstAfter > since,
    timeoutMs,
    'the remote video never moved again',
  );
  if (stall === null) throw new Error('the remote video never moved again');
  return stall;
}
