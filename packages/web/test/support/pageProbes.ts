import type { Page } from 'playwright-core';

/**
 * Reads from a page what the tests assert on. The functions passed to `page.evaluate` run in the browser,
 * so they stay free of imports and nested named functions (tsx would wrap those in a helper the page does
 * not have).
 */

export interface RemoteVideoState {
  videoWidth: number;
  videoHeight: number;
  currentTime: number;
}

export function remoteVideo(page: Page): Promise<RemoteVideoState | null> {
  return page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>('video[aria-label="Remote video"]');
    if (video === null) return null;
    return { videoWidth: video.videoWidth, videoHeight: video.videoHeight, currentTime: video.currentTime };
  });
}

export interface InboundCounts {
  audioPackets: number;
  videoPackets: number;
  framesDecoded: number;
}

/** Sums `inbound-rtp` stats of the page's current call (`window.__pbxTest.pc`); null between calls. */
export function inboundCounts(page: Page): Promise<InboundCounts | null> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { __pbxTest?: { pc: RTCPeerConnection | null } }).__pbxTest?.pc;
    if (pc === null || pc === undefined) return null;
    const counts = { audioPackets: 0, videoPackets: 0, framesDecoded: 0 };
    const stats = await pc.getStats();
    stats.forEach(
      (report: { type: string; kind?: string; packetsReceived?: number; framesDecoded?: number }) => {
        if (report.type !== 'inbound-rtp') return;
        if (report.kind === 'audio') counts.audioPackets += report.packetsReceived ?? 0;
        if (report.kind === 'video') {
          counts.videoPackets += report.packetsReceived ?? 0;
          counts.framesDecoded += report.framesDecoded ?? 0;
        }
      },
    );
    return counts;
  });
}

export interface SelectedPair {
  localType: string;
  remoteType: string;
  localAddress: string;
  remoteAddress: string;
}

/** The candidate types of the transport's selected ICE pair (`host`, `srflx`, `relay`); null before one. */
export function selectedPair(page: Page): Promise<SelectedPair | null> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { __pbxTest?: { pc: RTCPeerConnection | null } }).__pbxTest?.pc;
    if (pc === null || pc === undefined) return null;
    const stats = await pc.getStats();
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((report: Record<string, unknown> & { id: string }) => {
      byId.set(report.id, report);
    });
    let pairId: string | undefined;
    for (const report of byId.values()) {
      if (report.type === 'transport' && typeof report.selectedCandidatePairId === 'string') {
        pairId = report.selectedCandidatePairId;
      }
    }
    if (pairId === undefined) {
      for (const report of byId.values()) {
        if (report.type === 'candidate-pair' && report.state === 'succeeded' && report.nominated === true) {
          pairId = String(report.id);
        }
      }
    }
    const pair = pairId === undefined ? undefined : byId.get(pairId);
    if (pair === undefined) return null;
    const local = byId.get(String(pair.localCandidateId));
    const remote = byId.get(String(pair.remoteCandidateId));
    if (local === undefined || remote === undefined) return null;
    return {
      localType: String(local.candidateType),
      remoteType: String(remote.candidateType),
      localAddress: `${String(local.address)}:${String(local.port)}`,
      remoteAddress: `${String(remote.address)}:${String(remote.port)}`,
    };
  });
}

/**
 * Resolves with the page's `Date.now()` at the first remote video frame (`videoWidth > 0`), checked every
 * 5 ms: the clock of the machine, comparable with the test's own `Date.now()`.
 */
export async function firstRemoteFrameAt(page: Page, timeoutMs: number): Promise<number> {
  const handle = await page.waitForFunction(
    () => {
      const video = document.querySelector<HTMLVideoElement>('video[aria-label="Remote video"]');
      return video !== null && video.videoWidth > 0 ? Date.now() : false;
    },
    undefined,
    { polling: 5, timeout: timeoutMs },
  );
  return (await handle.jsonValue()) as number;
}

/** Waits until `probe` holds, polling every 100 ms; fails with `message` and the last value after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
  message: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`${message} (last value: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface TimelineMark {
  name: string;
  at: number;
}

/** The page's call-setup marks (`window.__pbxTest.timeline`, see src/shared/testHook.ts) from `since` on. */
export function timeline(page: Page, since: number): Promise<TimelineMark[]> {
  return page.evaluate(
    (from) =>
      ((window as unknown as { __pbxTest?: { timeline: TimelineMark[] } }).__pbxTest?.timeline ?? []).filter(
        (entry) => entry.at >= from,
      ),
    since,
  );
}

/**
 * Both pages' marks on one axis, in ms after `origin`, oldest first, as `+123.4 agent pc:created` lines:
 * where the time between Answer and the first frame goes.
 */
export function mergedTimeline(origin: number, sides: Record<string, TimelineMark[]>): string[] {
  return Object.entries(sides)
    .flatMap(([side, marks]) => marks.map((entry) => ({ side, ...entry })))
    .sort((a, b) => a.at - b.at)
    .map((entry) => `+${(entry.at - origin).toFixed(1).padStart(6)} ${entry.side.padEnd(6)} ${entry.name}`);
}

/**
 * An init script (see `openPage`) that keeps every camera and microphone track the page gets and every
 * RTCPeerConnection it makes, for `heldDevices`: whatever the page does with them, a leak shows.
 */
export const RECORD_DEVICES = `(() => {
  const recorded = { tracks: [], connections: [] };
  window.__recordedDevices = recorded;
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    recorded.tracks.push(...stream.getTracks());
    return stream;
  };
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      recorded.connections.push(this);
    }
  };
})()`;

export interface HeldDevices {
  /** Camera and microphone tracks not stopped: while there is one, the camera (or microphone) is on. */
  liveTracks: number;
  /** RTCPeerConnections not closed. */
  openConnections: number;
}

/** What a page opened with RECORD_DEVICES still holds. */
export function heldDevices(page: Page): Promise<HeldDevices> {
  return page.evaluate(() => {
    const recorded = (
      window as unknown as {
        __recordedDevices: { tracks: MediaStreamTrack[]; connections: RTCPeerConnection[] };
      }
    ).__recordedDevices;
    return {
      liveTracks: recorded.tracks.filter((track) => track.readyState === 'live').length,
      openConnections: recorded.connections.filter((pc) => pc.signalingState !== 'closed').length,
    };
  });
}
