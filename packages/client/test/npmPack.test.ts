/**
 * The SDK is usable outside this repository (issue 10, point 6): `npm pack` of the client and of the
 * protocol package it depends on gives two tarballs that install into an empty folder; there a plain
 * `node` ESM script (no tsx, nothing of the repository) drives a whole call through a real server with the
 * installed package, and `tsc` type-checks a TypeScript file against the installed declarations.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '../../server/src/startServer.js';
import type { SqliteExtensionStore } from '../../server/src/store/SqliteExtensionStore.js';
import { runProcess } from '../../server/test/support/cliProcess.js';
import { startServerWithExtensions } from '../../server/test/support/startServerWithExtensions.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(REPO, 'node_modules', '.bin', 'tsc');
const EXTENSION = { id: 'npm-pack-desk', name: 'Front desk', password: 'npm pack secret' };

/**
 * The environment without npm's own `npm_*` variables: under `npm test` they name the repository's
 * workspace, and an `npm install` in the empty folder must not see them.
 */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')),
  );
}

/** Runs a command with a time limit; on failure the error names the command and carries its output. */
async function step(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  const result = await runProcess(command, args, cleanEnvironment(), timeoutMs, cwd);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited with ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** The script the test runs with plain `node` in the empty folder: a whole call, printed as one JSON line. */
const CALL_SCRIPT = `
import { ConnectionFailedError, PbxClient, ProtocolError } from '@pbx-peers/client';

const [url, password, unknownUrl] = process.argv.slice(2);
const next = (client, event, matches) =>
  new Promise((resolve) => {
    const stop = client.on(event, (payload) => {
      if (!matches(payload)) return;
      stop();
      resolve(payload);
    });
  });

const agent = new PbxClient({ url });
const caller = new PbxClient({ url });
await agent.connect();
const agentInit = await agent.init();
const registered = await agent.register(password, 'Ada');
await caller.connect();
const callerInit = await caller.init();

const ringing = next(agent, 'session', (event) => event.status === 'ringing');
const call = await caller.call('Bob');
const ring = await ringing;

const connected = next(caller, 'session', (event) => event.status === 'connected');
const answered = await agent.answer(call.callId);
const callerConnected = await connected;

const toAgent = next(agent, 'signal', () => true);
caller.signal(call.callId, { sdp: { type: 'offer', sdp: 'v=0' } });
const offer = await toAgent;
const toCaller = next(caller, 'signal', () => true);
agent.signal(call.callId, { sdp: { type: 'answer', sdp: 'v=0' } });
const reply = await toCaller;

const hungUp = next(caller, 'session', (event) => event.status === 'disconnected');
const ended = await agent.end(call.callId);
const disconnected = await hungUp;

let errorCode;
try {
  await caller.answer(call.callId);
} catch (error) {
  errorCode = error instanceof ProtocolError ? error.code : String(error);
}
await Promise.all([agent.close(), caller.close()]);

let failed;
await new PbxClient({ url: unknownUrl }).connect().catch((error) => {
  failed = error instanceof ConnectionFailedError ? error.detail : String(error);
});
console.log(JSON.stringify({
  agentInit: agentInit.status,
  resumable: typeof agentInit.resumeToken === 'string',
  registered: registered.status,
  callerInit: callerInit.status,
  call: call.status,
  ringName: ring.name,
  answered: answered.status,
  agentName: callerConnected.name,
  offer: offer.data,
  reply: reply.data,
  ended: ended.status,
  hangup: disconnected.reason,
  errorCode,
  failed,
}));
`;

/** Type-checked (not run) against the installed declarations: correct uses compile, a wrong one does not. */
const TYPES_CHECK = `
import {
  ConnectionClosedError,
  PbxClient,
  ProtocolError,
  type PeerChange,
  type ResponseFor,
  ResumingClient,
  type SessionEvent,
} from '@pbx-peers/client';

const client = new PbxClient({ url: 'ws://127.0.0.1:8080/peers/front-desk', requestTimeoutMs: 5_000 });
const connection = new ResumingClient({ client, heartbeat: false });
connection.on('peer', (change: PeerChange) => {
  if (change.kind === 'replaced') void client.register('secret', 'Ada');
});
client.on('session', (event: SessionEvent) => {
  if (event.status === 'disconnected') {
    const reason: 'hangup' | 'dropped' | 'timeout' = event.reason;
    void reason;
  }
});
client.on('error', (error: ProtocolError) => void error.code);
export async function place(): Promise<string | undefined> {
  const call: ResponseFor<'call'> = await client.call('Bob');
  return call.status === 'ringing' ? call.callId : undefined;
}
export const closed: Error = new ConnectionClosedError('closed', 1006);
// @ts-expect-error answer() needs the call's id
void client.answer();
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: [],
  },
  files: ['check.ts'],
};

describe('npm pack of @pbx-peers/client', { timeout: 90_000 }, () => {
  let work: string;
  let app: string;
  let server: RunningServer | undefined;
  let store: SqliteExtensionStore | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'pbx-peers-pack-'));
    app = join(work, 'app');
    await mkdir(app);
  });

  after(async () => {
    await server?.close();
    await store?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('packs, installs in an empty folder, places a call with plain node, and type-checks', async () => {
    // Build the client and the protocol it references (incremental: quick when dist is current).
    await step(TSC, ['-b', 'packages/client'], REPO, 60_000);

    const tarballs = join(work, 'tarballs');
    await mkdir(tarballs);
    for (const pkg of ['protocol', 'client']) {
      await step('npm', ['pack', '--pack-destination', tarballs], join(REPO, 'packages', pkg), 30_000);
    }
    const packed = (await readdir(tarballs)).sort();
    assert.deepEqual(packed, ['pbx-peers-client-0.1.0.tgz', 'pbx-peers-protocol-0.1.0.tgz']);

    const listing = (await step('tar', ['-tzf', join(tarballs, 'pbx-peers-client-0.1.0.tgz')], work, 10_000))
      .stdout;
    for (const file of [
      'package/dist/node.js',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/README.md',
    ]) {
      assert.ok(listing.includes(file), `the client tarball lacks ${file}:\n${listing}`);
    }
    assert.ok(!listing.includes('.tsbuildinfo'), 'the client tarball ships the build info');

    await writeFile(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'app', private: true, type: 'module' })}\n`,
    );
    await step(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        join(tarballs, 'pbx-peers-protocol-0.1.0.tgz'),
        join(tarballs, 'pbx-peers-client-0.1.0.tgz'),
      ],
      app,
      45_000,
    );

    ({ server, store } = await startServerWithExtensions([EXTENSION]));
    const peersBase = `${server.url.replace(/^http/, 'ws')}/peers`;
    const url = `${peersBase}/${EXTENSION.id}`;
    const unknownUrl = `${peersBase}/no-such-extension`;
    await writeFile(join(app, 'call.mjs'), CALL_SCRIPT);
    const { stdout } = await step(
      process.execPath,
      ['call.mjs', url, EXTENSION.password, unknownUrl],
      app,
      15_000,
    );
    assert.deepEqual(JSON.parse(stdout.trim()), {
      agentInit: 'offline',
      resumable: true,
      registered: 'registered',
      callerInit: 'ready',
      call: 'ringing',
      ringName: 'Bob',
      answered: 'connected',
      agentName: 'Ada',
      offer: { sdp: { type: 'offer', sdp: 'v=0' } },
      reply: { sdp: { type: 'answer', sdp: 'v=0' } },
      ended: 'disconnected',
      hangup: 'hangup',
      errorCode: 'forbidden',
      failed: 'Unexpected server response: 404',
    });

    // The README's example, as printed there, prints what the README says it prints.
    const readme = await readFile(join(REPO, 'packages', 'client', 'README.md'), 'utf8');
    const example = /<!-- npmPack\.test\.ts runs this example -->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example !== undefined, 'the README has no example marked for this test');
    const printed = /\nIt prints:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(printed !== undefined, 'the README does not say what its example prints');
    await writeFile(join(app, 'example.mjs'), example);
    const exampleRun = await step(process.execPath, ['example.mjs', url, EXTENSION.password], app, 15_000);
    assert.equal(exampleRun.stdout, printed);
    assert.equal(exampleRun.stderr, '');

    await writeFile(join(app, 'check.ts'), TYPES_CHECK);
    await writeFile(join(app, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
    await step(TSC, ['-p', 'tsconfig.json'], app, 30_000);
  });
});
