import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TURNSERVER_PATH = process.env.PBX_PEERS_TURNSERVER ?? '/usr/bin/turnserver';

export interface TurnServer {
  /** `turn:127.0.0.1:PORT?transport=udp`. */
  readonly url: string;
  readonly port: number;
  /** The `static-auth-secret` (coturn REST API credentials, `use-auth-secret`). */
  readonly secret: string;
  /** Everything coturn printed, for failure messages. */
  log(): string;
  close(): Promise<void>;
}

/** A UDP port nobody is bound to right now on 127.0.0.1. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Resolves once something answers a STUN Binding request on 127.0.0.1:`port` (coturn is listening). */
async function stunAnswers(port: number, timeoutMs: number): Promise<boolean> {
  const socket = createSocket('udp4');
  // A Binding request: type 0x0001, length 0, the magic cookie, a random transaction id.
  const request = Buffer.concat([
    Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]),
    randomBytes(12),
  ]);
  try {
    return await new Promise<boolean>((resolve) => {
      const deadline = setTimeout(() => resolve(false), timeoutMs);
      const send = () => socket.send(request, port, '127.0.0.1');
      const resend = setInterval(send, 100);
      socket.once('message', () => {
        clearTimeout(deadline);
        clearInterval(resend);
        resolve(true);
      });
      socket.on('error', () => undefined);
      send();
    });
  } finally {
    socket.close();
  }
}

export interface TurnServerOptions {
  /** The UDP port to listen on (default: a free one); with `secret`, a coturn started again in its place. */
  port?: number;
  /** The `static-auth-secret` (default: a random one): the same one keeps credentials handed out valid. */
  secret?: string;
}

/**
 * coturn on loopback only, UDP only, with REST API credentials (`use-auth-secret`): a real TURN server
 * for one test. Relay ports come from a random 200-port range so parallel runs rarely collide; its SQLite
 * database lives in a temporary folder. Resolves once coturn answers STUN on its port.
 */
export async function startTurnServer(options: TurnServerOptions = {}): Promise<TurnServer> {
  const port = options.port ?? (await freeUdpPort());
  const minPort = randomInt(20_000, 29_000) * 2;
  const secret = options.secret ?? randomBytes(18).toString('base64url');
  const folder = await mkdtemp(join(tmpdir(), 'pbx-peers-turn-'));
  const args = [
    '-n', // no configuration file
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 199}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=pbx-peers.test',
    '--allow-loopback-peers', // both browsers' relay addresses are on 127.0.0.1
    '--no-tcp',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-tcp-relay',
    '--fingerprint',
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${join(folder, 'turnserver.pid')}`,
    `--userdb=${join(folder, 'turndb')}`,
  ];
  const child: ChildProcess = spawn(TURNSERVER_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(false));
  });
  const cleanUp = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    await rm(folder, { recursive: true, force: true });
  };
  const listening = await Promise.race([stunAnswers(port, 10_000), failed]);
  if (!listening) {
    await cleanUp();
    throw new Error(`turnserver did not start listening on UDP ${port}:\n${output}`);
  }
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    port,
    secret,
    log: () => output,
    close: cleanUp,
  };
}
