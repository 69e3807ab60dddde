/**
 * The bare `ws` relay, the benchmark's reference server. It speaks the PeerJS wire format so the same
 * load driver drives it: a peer connects to `/peerjs?id=ID&peer=PARTNER`, hears `{"type":"OPEN"}`, and
 * sends `{type, dst, payload}` frames.
 *
 *   forward  relays every frame to the partner named at connect time without looking at it (upper bound)
 *   parse    parses each frame and re-serialises it as PeerJS does, `{type, src, dst, payload}`
 *
 * Usage: node --expose-gc --import tsx bench/servers/bareRelay.ts forward|parse [host]
 */
import { createServer } from 'node:http';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { announceListening, serveMemoryOverIpc } from './memoryChannel.js';

const variant = process.argv[2];
if (variant !== 'forward' && variant !== 'parse') {
  process.stderr.write('usage: bareRelay.ts forward|parse [host]\n');
  process.exit(2);
}
const host = process.argv[3] ?? '127.0.0.1';

const OPEN = JSON.stringify({ type: 'OPEN' });
const peers = new Map<string, WebSocket>();

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function forwardToPartner(partnerId: string) {
  return (data: RawData) => {
    peers.get(partnerId)?.send(asBuffer(data), { binary: false });
  };
}

function parseAndForward(sourceId: string) {
  return (data: RawData) => {
    let message: unknown;
    try {
      message = JSON.parse(asBuffer(data).toString());
    } catch {
      return;
    }
    if (!isRecord(message) || typeof message.dst !== 'string') return;
    const destination = peers.get(message.dst);
    destination?.send(
      JSON.stringify({ type: message.type, src: sourceId, dst: message.dst, payload: message.payload }),
    );
  };
}

const httpServer = createServer((_request, response) => response.writeHead(404).end());
const wss = new WebSocketServer({ server: httpServer, path: '/peerjs', perMessageDeflate: false });
wss.on('connection', (ws, request) => {
  const query = new URL(request.url ?? '/', 'http://relay').searchParams;
  const id = query.get('id');
  if (id === null || id === '') {
    ws.close(1008, 'id required');
    return;
  }
  peers.set(id, ws);
  ws.on('error', () => {});
  ws.on('close', () => {
    if (peers.get(id) === ws) peers.delete(id);
  });
  ws.on('message', variant === 'forward' ? forwardToPartner(query.get('peer') ?? '') : parseAndForward(id));
  ws.send(OPEN);
});

serveMemoryOverIpc();
httpServer.listen(0, host, () => {
  const address = httpServer.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`bare relay (${variant}) listening on http://${host}:${port}\n`);
  announceListening(port);
});
process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  httpServer.close(() => process.exit(0));
});
