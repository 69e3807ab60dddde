import type { Page } from 'playwright-core';
import { eventually, inboundCounts, remoteVideo } from './pageProbes.js';
import { MEDIA, SHORT } from './pages.js';

/** Media flows into `page`: the remote video has a size and plays on, and inbound RTP packets grow. */
export async function assertReceivingMedia(page: Page, label: string): Promise<void> {
  const video = await eventually(
    () => remoteVideo(page),
    (state) => state !== null && state.videoWidth > 0 && state.currentTime > 0,
    MEDIA,
    `${label}: the remote video never played`,
  );
  const counts = await eventually(
    () => inboundCounts(page),
    (value) => value !== null && value.audioPackets > 0 && value.videoPackets > 0,
    MEDIA,
    `${label}: no inbound RTP`,
  );
  await eventually(
    () => remoteVideo(page),
    (state) => state !== null && state.currentTime > (video?.currentTime ?? 0),
    SHORT,
    `${label}: the remote video's currentTime does not advance`,
  );
  await eventually(
    () => inboundCounts(page),
    (value) =>
      value !== null &&
      counts !== null &&
      value.audioPackets > counts.audioPackets &&
      value.videoPackets > counts.videoPackets,
    SHORT,
    `${label}: inbound packetsReceived does not grow`,
  );
}
