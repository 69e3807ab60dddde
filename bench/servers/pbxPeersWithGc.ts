/**
 * pbx-peers for the memory figure only: the built server (`packages/server/dist`) started exactly as
 * `pbx-peers serve` starts it (same option table, same resolution of flags and environment, same
 * `startServer` call), plus the benchmark's IPC channel for forced GC and memory readings. The product
 * has no such endpoint, and gets none: this wrapper is the benchmark's.
 *
 * Usage: node --expose-gc --import tsx bench/servers/pbxPeersWithGc.ts --db FILE --port 0 [--flag value]...
 */
import {
  resolveServerOptions,
  type ServerOptionName,
  serverOptionNames,
  serverOptionSpecs,
} from '../../packages/server/dist/config/serverOptions.js';
import { startServer } from '../../packages/server/dist/startServer.js';
import { announceListening, serveMemoryOverIpc } from './memoryChannel.js';

function parseFlags(args: readonly string[]): Partial<Record<ServerOptionName, string>> {
  const raw: Partial<Record<ServerOptionName, string>> = {};
  for (let index = 0; index < args.length; index += 2) {
    const flag = args[index];
    const value = args[index + 1];
    const name = serverOptionNames.find((candidate) => serverOptionSpecs[candidate].flag === flag);
    if (name === undefined || value === undefined) {
      process.stderr.write(`pbxPeersWithGc: unknown flag or missing value at "${flag}"\n`);
      process.exit(2);
    }
    raw[name] = value;
  }
  return raw;
}

const server = await startServer({ ...resolveServerOptions(parseFlags(process.argv.slice(2)), process.env) });
serveMemoryOverIpc();
process.stdout.write(`pbx-peers listening on ${server.url}\n`);
announceListening(server.port);
process.on('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
