import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanEnv, runCli } from '../support/cliProcess.js';
import { freePort } from '../support/serveNodes.js';

/** `serve --redis-url` when Redis is not there, or the URL is not one: one clear sentence, exit 1 or 2. */
describe('serve --redis-url at start', () => {
  it('an unreachable Redis stops the start with a sentence naming the flag, without the password', async () => {
    const port = await freePort(); // nothing listens there
    const result = await runCli(
      ['serve', '--port', '0', '--db', ':memory:', '--redis-url', `redis://:hunter2@127.0.0.1:${port}`],
      cleanEnv({ PBX_PEERS_LOG_LEVEL: 'silent' }),
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(--redis-url\)/);
    assert.doesNotMatch(result.stderr + result.stdout, /hunter2/);
  });

  it('a URL that is not redis:// or rediss:// is refused before anything starts', async () => {
    const result = await runCli(
      ['serve', '--port', '0', '--redis-url', 'http://:hunter2@example.com'],
      cleanEnv(),
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--redis-url must be a URL like redis:\/\/127\.0\.0\.1:6379/);
    assert.doesNotMatch(result.stderr, /hunter2/);
  });

  it("a prefix with braces is refused (they are the keys' hash tags)", async () => {
    const result = await runCli(['serve', '--port', '0', '--redis-prefix', 'a{b}'], cleanEnv());
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--redis-prefix must be 1 to 64 characters without spaces or braces/);
  });
});
