/**
 * The README's "Several processes" recipe, run as written: its `extension add` and `serve` lines with only
 * the ports, the store file and the Redis URL replaced (and a Redis prefix of the test's own, by
 * environment), then what the README says the user sees, with wire clients where it opens the pages: the
 * caller page on the first process turns ready when the agent signs in on the second, a call connects
 * across them, and after `kill -9` of the agent's process the caller is told the line dropped and the
 * extension is offline once the agent's resume grace (taken on by the surviving process) ends, about 26 s.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectCall } from '../support/calls.js';
import { cleanEnv, runProcess } from '../support/cliProcess.js';
import { GroupProcess } from '../support/GroupProcess.js';
import { freePort } from '../support/serveNodes.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/testRedis.js';
import { WireClient } from '../support/WireClient.js';
import { isExtensionEvent, isSessionEvent } from '../support/wireMatchers.js';
import { REPO_ROOT } from './support/deployDoc.js';
import { workFolder } from './support/proxies.js';

const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));

/** The shell lines of the section's first `sh` block, comments and a trailing `&` taken off. */
function recipe(): string[] {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('\n## Several processes\n'));
  assert.ok(
    section.length > 0 && text.includes('\n## Several processes\n'),
    'README has "## Several processes"',
  );
  const block = /```sh\n([\s\S]*?)\n```/.exec(section)?.[1];
  assert.ok(block !== undefined, 'the section has a sh block');
  return block
    .split('\n')
    .map((line) =>
      line
        .replace(/\s+#.*$/, '')
        .replace(/\s*&$/, '')
        .trim(),
    )
    .filter((line) => line !== '');
}

/** Splits a command line of plain words and 'single-quoted' or "double-quoted" ones. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? '',
  );
}

/** The README's value after `flag` in a command. */
function flagValue(command: readonly string[], flag: string): string {
  const value = command[command.indexOf(flag) + 1];
  assert.ok(command.includes(flag) && value !== undefined, `${command.join(' ')} has ${flag}`);
  return value;
}

describe('README: several processes', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it("two serve processes on one Redis and one store: a call across them; kill -9 of the agent's ends it as dropped and the extension goes offline when its grace ends, about 26 s later", async (t) => {
    const lines = recipe();
    assert.match(lines[0] ?? '', /^redis-server --port 6379 --save '' /, 'first a Redis without persistence');
    const add = words(lines.find((line) => line.includes(' extension add ')) ?? '');
    const serves = lines.filter((line) => line.includes(' serve ')).map(words);
    assert.equal(lines.length, 2 + serves.length, `only Redis, extension add and serve lines: ${lines}`);
    assert.ok(serves.length >= 2, 'at least two processes');

    const folder = await workFolder('pbx-readme-cluster-');
    cleanups.push(() => folder.remove());
    const prefix = uniqueRedisPrefix();
    cleanups.push(() => deleteRedisKeys(prefix));
    const db = flagValue(add, '--db');
    const localDb = join(folder.path, db);
    const ports = new Map<string, number>();
    for (const serve of serves) ports.set(flagValue(serve, '--port'), await freePort());
    const localize = (command: readonly string[]) =>
      command.map((word, index) => {
        const flag = command[index - 1];
        if (flag === '--db') return word === db ? localDb : word;
        if (flag === '--port') return String(ports.get(word));
        if (flag === '--redis-url') return word === 'redis://127.0.0.1:6379' ? TEST_REDIS_URL : word;
        return word;
      });
    const env = cleanEnv({ PBX_PEERS_REDIS_PREFIX: prefix, PBX_PEERS_LOG_LEVEL: 'warn' });

    const [program, ...addArgs] = localize(add);
    assert.equal(program, 'node');
    const added = await runProcess(process.execPath, addArgs.map(inRepo), env);
    assert.equal(added.code, 0, added.stderr);
    const id = flagValue(add, '--id');
    const password = flagValue(add, '--password');

    const nodes = serves.map((serve) => {
      const [, ...args] = localize(serve);
      for (const flag of ['--redis-url', '--db']) {
        assert.equal(
          flagValue(serve, flag),
          flagValue(serves[0] ?? [], flag),
          `every serve has the same ${flag}`,
        );
      }
      const node = GroupProcess.start(process.execPath, args.map(inRepo), { env, label: serve.join(' ') });
      cleanups.push(() => node.stop());
      return node;
    });
    await Promise.all(nodes.map((node) => node.waitForOutput(/^pbx-peers listening on/m, 15_000)));

    // The README's two pages: the caller page on the first process, the agent console on the second.
    const text = readFileSync(README, 'utf8');
    const [first, second] = [...ports.entries()];
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(
      text.includes(`http://127.0.0.1:${first[0]}/ext/${id}`),
      'README opens the caller page on the first',
    );
    assert.ok(
      text.includes(`http://127.0.0.1:${second[0]}/ext/${id}/agent`),
      'and the agent console on the second',
    );
    const peer = async (port: number, label: string) => {
      const client = await WireClient.connect(`ws://127.0.0.1:${port}/peers/${id}`, { label });
      cleanups.push(() => client.close());
      await client.init();
      return client;
    };
    const caller = await peer(first[1], 'caller page');
    const agent = await peer(second[1], 'agent console');
    assert.equal((await agent.register(password)).status, 'registered');
    await caller.nextMatching(isExtensionEvent('ready'), 5_000, 'the caller page turning Ready');
    const callId = await connectCall(caller, agent);

    // `kill -9 %2`: the second serve of the shell.
    assert.ok(text.includes('`kill -9 %2`'));
    const killedAt = Date.now();
    nodes[1]?.signal('SIGKILL');
    const dropped = await caller.nextMatching(
      isSessionEvent('disconnected', callId),
      35_000,
      'the call ending',
    );
    const droppedAfter = Date.now() - killedAt;
    assert.equal(dropped.reason, 'dropped');
    await caller.nextMatching(isExtensionEvent('offline'), 2_000, 'the extension going offline');
    t.diagnostic(`the caller was told ${droppedAfter} ms after kill -9`);
    assert.match(text, /about 26 s after the kill/);
    // The lease (5 s) runs out, then the grace (the default 20 s) the surviving process gave the agent.
    assert.ok(droppedAfter < 29_000, `"about 26 s after the kill": ${droppedAfter} ms`);
    assert.ok(
      droppedAfter > 23_000,
      `by the lease and the grace running out, not sooner: ${droppedAfter} ms`,
    );
  });
});

/** The README's relative bin path, run from the repository root. */
function inRepo(word: string): string {
  return word.startsWith('packages/') ? join(REPO_ROOT, word) : word;
}
