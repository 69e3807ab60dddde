import { type Browser, chromium } from 'playwright-core';

/** The system Chromium; the tests never download a browser. */
export const CHROMIUM_PATH = process.env.PBX_PEERS_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless Chromium with fake media devices: the fake camera draws a moving test pattern and the fake
 * microphone plays a beep, and `--use-fake-ui-for-media-stream` grants camera and microphone without a
 * prompt. `extraArgs` are more command-line switches, e.g. `--ignore-certificate-errors` for pages behind
 * a test proxy's self-signed certificate.
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: [
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Host candidates as plain IP addresses. With mDNS obfuscation, a page's host candidates can be
      // random `<uuid>.local` names that the other peer must resolve by multicast DNS, which containers and
      // CI runners usually cannot do, and direct (non-relay) calls then fail. Chromium already shows real
      // addresses to a page that was granted camera and microphone, as ours are, so calls connect without
      // this flag on a machine like the dev container; it keeps the tests independent of that heuristic.
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      // Gather candidates on the loopback interface too: Chromium skips it by default, so two pages on a
      // machine whose only interface is `lo` (a bare CI container) would have no candidate pair at all.
      '--allow-loopback-in-peer-connection',
      // Background tabs must keep their timers and media running: caller and agent pages run side by side.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
      ...extraArgs,
    ],
  });
}
