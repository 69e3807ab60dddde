/**
 * `pbx-peers calls list|export` (issue 10) on both stores: the real bin reading a history written
 * through the store, filters, JSON, CSV quoting, and the errors for bad input or a missing database.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { EndedCall } from '../src/core/EndedCall.js';
import { openExtensionStore } from '../src/store/openExtensionStore.js';
import { type CliResult, cleanEnv, runCli } from './support/cliProcess.js';
import { newTestSchema } from './support/postgres.js';

const T0 = Date.parse('2026-11-30T09:00:00.000Z');

const CALLS: EndedCall[] = [
  {
    callId: 'c-answered',
    extensionId: 'front',
    callerName: 'Zoë, "the" visitor',
    agentName: 'Alice',
    ringingAt: T0,
    answeredAt: T0 + 4_000,
    endedAt: T0 + 64_000,
    outcome: 'answered',
    endedBy: 'caller',
  },
  {
    callId: 'c-missed',
    extensionId: 'front',
    callerName: '=HYPERLINK("http://evil")',
    ringingAt: T0 + 3_600_000,
    endedAt: T0 + 3_660_000,
    outcome: 'timeout',
    endedBy: 'server',
  },
  {
    callId: 'c-back',
    extensionId: 'back-office',
    ringingAt: T0 + 86_400_000,
    endedAt: T0 + 86_410_000,
    outcome: 'abandoned',
    endedBy: 'caller',
  },
];

function succeeded(result: CliResult): string {
  assert.equal(result.code, 0, `exit ${result.code}; stderr: ${result.stderr}`);
  assert.equal(result.stderr, '');
  return result.stdout;
}

function failedWith(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, `exit ${result.code}; stdout: ${result.stdout}`);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, / {4}at /, 'no stack trace');
}

interface Location {
  db: string;
  cleanup(): Promise<void>;
}

const locations: Record<string, () => Promise<Location>> = {
  SQLite: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pbx-peers-calls-cli-'));
    return { db: join(dir, 'history.db'), cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
  PostgreSQL: async () => {
    const schema = newTestSchema();
    return { db: schema.url, cleanup: () => schema.drop() };
  },
};

for (const [kind, makeLocation] of Object.entries(locations)) {
  describe(`pbx-peers calls, ${kind}`, () => {
    let location: Location;
    const cli = (...args: string[]) => runCli([...args, '--db', location.db], cleanEnv());

    beforeEach(async () => {
      location = await makeLocation();
      const store = await openExtensionStore(location.db, { create: true });
      try {
        for (const call of CALLS) await store.recordCall(call);
      } finally {
        await store.close();
      }
    });
    afterEach(() => location.cleanup());

    it('calls list prints a table, newest first, and filters by extension and start', async () => {
      const all = succeeded(await cli('calls', 'list'))
        .trimEnd()
        .split('\n');
      assert.match(all[0] ?? '', /^STARTED +EXTENSION +OUTCOME +ENDED BY +CALLER +AGENT +RANG +TALKED$/);
      assert.equal(all.length, 4);
      assert.match(
        all[1] ?? '',
        /^2026-12-01T09:00:00\.000Z +back-office +abandoned +caller +- +- +10 s +-$/,
      );
      assert.match(all[2] ?? '', /timeout +server +=HYPERLINK\("http:\/\/evil"\) +- +60 s +-$/);
      assert.match(all[3] ?? '', /answered +caller +Zoë, "the" visitor +Alice +4 s +60 s$/);

      const front = succeeded(await cli('calls', 'list', '--extension', 'front'))
        .trimEnd()
        .split('\n');
      assert.equal(front.length, 3);
      assert.ok(front.slice(1).every((line) => / front /.test(line)));

      const recent = succeeded(await cli('calls', 'list', '--since', '2026-11-30T10:00:00Z'))
        .trimEnd()
        .split('\n');
      assert.equal(recent.length, 3, 'the 09:00 call left out');
      const fromDate = succeeded(await cli('calls', 'list', '--since', '2026-12-01'))
        .trimEnd()
        .split('\n');
      assert.equal(fromDate.length, 2);

      const limited = succeeded(await cli('calls', 'list', '--limit', '1'))
        .trimEnd()
        .split('\n');
      assert.equal(limited.length, 3);
      assert.match(limited[2] ?? '', /the newest 1; --limit shows more/);
      assert.equal(succeeded(await cli('calls', 'list', '--extension', 'nobody')), 'No calls.\n');
    });

    it('calls list --json gives every field, times in ISO 8601, durations in seconds', async () => {
      const listed = JSON.parse(
        succeeded(await cli('calls', 'list', '--json', '--extension', 'front')),
      ) as unknown[];
      assert.deepEqual(listed[1], {
        callId: 'c-answered',
        extensionId: 'front',
        callerName: 'Zoë, "the" visitor',
        agentName: 'Alice',
        ringingAt: '2026-11-30T09:00:00.000Z',
        answeredAt: '2026-11-30T09:00:04.000Z',
        endedAt: '2026-11-30T09:01:04.000Z',
        outcome: 'answered',
        endedBy: 'caller',
        ringSeconds: 4,
        talkSeconds: 60,
        doneAt: null,
        doneBy: null,
      });
      assert.equal((listed[0] as { talkSeconds: unknown }).talkSeconds, null);
    });

    it('calls export --csv quotes as RFC 4180 and defuses spreadsheet formulas', async () => {
      const lines = succeeded(await cli('calls', 'export', '--csv'))
        .trimEnd()
        .split('\n');
      assert.equal(
        lines[0],
        'call_id,extension_id,caller_name,agent_name,ringing_at,answered_at,ended_at,outcome,ended_by,ring_seconds,talk_seconds,done_at,done_by',
      );
      assert.equal(lines.length, 4);
      assert.equal(
        lines[3],
        'c-answered,front,"Zoë, ""the"" visitor",Alice,2026-11-30T09:00:00.000Z,2026-11-30T09:00:04.000Z,2026-11-30T09:01:04.000Z,answered,caller,4,60,,',
      );
      assert.equal(
        lines[2],
        `c-missed,front,"'=HYPERLINK(""http://evil"")",,2026-11-30T10:00:00.000Z,,2026-11-30T10:01:00.000Z,timeout,server,60,,,`,
      );
      const back = succeeded(await cli('calls', 'export', '--extension', 'back-office'))
        .trimEnd()
        .split('\n');
      assert.deepEqual(
        back.slice(1).map((line) => line.split(',')[0]),
        ['c-back'],
      );
    });

    it('refuses a bad --since, --limit or --extension with a sentence naming the flag', async () => {
      failedWith(
        await cli('calls', 'list', '--since', 'yesterday'),
        2,
        /--since must be an ISO 8601 date or time/,
      );
      failedWith(await cli('calls', 'export', '--since', '2026-13-45'), 2, /--since must be an ISO 8601/);
      failedWith(await cli('calls', 'list', '--limit', '0'), 2, /--limit must be a whole number from 1/);
      failedWith(await cli('calls', 'list', '--extension', 'a b'), 2, /--extension must be an extension id/);
    });
  });
}

describe('pbx-peers calls, no database', () => {
  it('fails with one sentence and creates nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pbx-peers-calls-cli-'));
    try {
      const db = join(dir, 'missing', 'x.db');
      for (const command of ['list', 'export']) {
        failedWith(
          await runCli(['calls', command, '--db', db], cleanEnv()),
          1,
          /There is no extension database at/,
        );
      }
      assert.equal(existsSync(join(dir, 'missing')), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
