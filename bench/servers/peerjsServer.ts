/**
 * The PeerJS server 1.x (`peer` package) as its README starts it, `PeerServer(options)`, with the
 * concurrent-user limit lifted (default 5,000) and a heartbeat timeout long enough that the benchmark's
 * clients, which send no HEARTBEAT, are never reaped mid-run.
 *
 * Usage: node --expose-gc --import tsx bench/servers/peerjsServer.ts [host]
 */
import { PeerServer } from 'peer';
import { announceListening, serveMemoryOverIpc } from './memoryChannel.js';

const host = process.argv[2] ?? '127.0.0.1';

const peerServer = PeerServer(
  {
    host,
    port: 0,
    concurrent_limit: 1_000_000,
    alive_timeout: 24 * 3600 * 1000,
  },
  (httpServer) => {
    const address = httpServer.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.stdout.write(`PeerJS server listening on http://${host}:${port}\n`);
    announceListening(port);
    process.on('SIGTERM', () => {
      httpServer.closeAllConnections();
      httpServer.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
    });
  },
);
// An 'error' event without a listener would crash the server (a client's socket error, say).
peerServer.on('error', () => {});

serveMemoryOverIpc();
