/**
 * Chromium starts sending video at an estimated 300 kbps, and at that rate its encoder drops the first
 * frames of an HD camera while it asks for a lower resolution (WebRTC's initial frame dropping): the other
 * side's first frame then comes well after the connection is up instead of at once. This is where it may
 * start instead; the bandwidth estimate takes over within a second either way, downwards too.
 */
export const VIDEO_START_BITRATE_KBPS = 1500;

/** Payload formats that carry no video of their own (retransmission, redundancy, error correction). */
const HELPER_FORMATS = /^(rtx|red|ulpfec|flexfec-03)\//i;

/**
 * `sdp` with Chromium's `x-google-start-bitrate` in the format parameters of each video codec (added to
 * its `a=fmtp` line, or as one after its `a=rtpmap` line when it has none, as VP8 does), for the sending
 * side of whoever applies it as the remote description. Other browsers ignore parameters they do not know.
 */
export function withStartBitrate(sdp: string, kbps: number = VIDEO_START_BITRATE_KBPS): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(eol);
  // Payload types are per media section: keys are `<section>:<payload type>`.
  const sectionOf: number[] = [];
  const codecs = new Set<string>();
  const withFmtp = new Set<string>();
  let section = 0;
  let video = false;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      section++;
      video = line.startsWith('m=video ');
    }
    sectionOf.push(section);
    const rtpmap = /^a=rtpmap:(\d+) (.*)$/.exec(line);
    if (video && rtpmap !== null && !HELPER_FORMATS.test(rtpmap[2] ?? ''))
      codecs.add(`${section}:${rtpmap[1]}`);
    const fmtp = /^a=fmtp:(\d+) /.exec(line);
    if (fmtp !== null) withFmtp.add(`${section}:${fmtp[1]}`);
  }
  const parameter = `x-google-start-bitrate=${kbps}`;
  return lines
    .flatMap((line, index) => {
      const at = sectionOf[index];
      const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
      if (fmtp !== null && codecs.has(`${at}:${fmtp[1]}`)) {
        return fmtp[2]?.includes('x-google-start-bitrate') ? [line] : [`${line};${parameter}`];
      }
      const rtpmap = /^a=rtpmap:(\d+) /.exec(line);
      const key = `${at}:${rtpmap?.[1]}`;
      if (rtpmap !== null && codecs.has(key) && !withFmtp.has(key)) {
        return [line, `a=fmtp:${rtpmap[1]} ${parameter}`];
      }
      return [line];
    })
    .join(eol);
}
