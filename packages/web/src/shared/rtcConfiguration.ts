/**
 * The RTCPeerConnection configuration for one call: the ICE servers the server hands out at
 * `GET /api/ice-servers` (STUN, and TURN with short-lived credentials), fetched fresh before every call
 * because TURN credentials expire.
 *
 * One transport for audio and video (`max-bundle`, RTCP multiplexed): the offer then has candidates for
 * one transport instead of one per kind, half the ICE checks, and one DTLS handshake, which is what every
 * current browser answers with anyway.
 *
 * `?relay=1` in the page's URL sets `iceTransportPolicy: 'relay'`: media then only flows through a TURN
 * server. Useful to check a TURN deployment, and used by the end-to-end TURN test.
 */
export async function rtcConfiguration(search: string = window.location.search): Promise<RTCConfiguration> {
  const configuration: RTCConfiguration = {
    iceServers: await fetchIceServers(),
    bundlePolicy: 'max-bundle',
    rtcpMuxPolicy: 'require',
  };
  if (relayOnly(search)) configuration.iceTransportPolicy = 'relay';
  return configuration;
}

export function relayOnly(search: string): boolean {
  const value = new URLSearchParams(search).get('relay');
  return value === '1' || value === 'true';
}

async function fetchIceServers(): Promise<RTCIceServer[]> {
  try {
    const response = await fetch('/api/ice-servers', {
      headers: { accept: 'application/json' },
      cache: 'no-store',
    });
    if (!response.ok) return [];
    const body: unknown = await response.json();
    if (typeof body === 'object' && body !== null && 'iceServers' in body && Array.isArray(body.iceServers)) {
      return body.iceServers.filter(isIceServer);
    }
  } catch {
    // No ICE servers: calls between hosts that can reach each other directly still connect.
  }
  return [];
}

function isIceServer(value: unknown): value is RTCIceServer {
  if (typeof value !== 'object' || value === null || !('urls' in value)) return false;
  const urls = value.urls;
  return typeof urls === 'string' || (Array.isArray(urls) && urls.every((url) => typeof url === 'string'));
}
