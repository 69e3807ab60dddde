import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../support/testServer.js';
import { UpgradeRefusedError } from '../support/UpgradeRefusedError.js';
import type { WireClient } from '../support/WireClient.js';

/**
 * `--trust-proxy`: behind a reverse proxy every client arrives from the proxy's address, so the
 * per-address limits (failed registers, the fair password queue, connections) and the logs key on the
 * address the proxy names in `X-Forwarded-For`, and only when the proxy is trusted.
 */
describe('--trust-proxy: the client address behind a reverse proxy', () => {
  let ts: TestServer;
  afterEach(() => ts.close());

  const start = (options: TestServerOptions) =>
    startTestServer({ extensions: [FRONT], registerFailureLimit: 2, ...options }).then((started) => {
      ts = started;
      return started;
    });

  /** A peer whose upgrade request carries `X-Forwarded-For: forwardedFor`. */
  const peerFrom = async (forwardedFor: string, label = forwardedFor) => {
    const client = await ts.connect(FRONT.id, { headers: { 'X-Forwarded-For': forwardedFor }, label });
    await client.init();
    return client;
  };

  /** Fails `register` until the limit, then checks that even the right password is refused. */
  const lockOut = async (client: WireClient) => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      assert.equal((await client.register(`guess ${attempt}`)).reason, 'bad-password', client.label);
    }
    assert.equal((await client.register(FRONT.password)).reason, 'rate-limited', client.label);
  };

  it('with the proxy trusted, two forwarded clients are locked out separately', async () => {
    await start({ trustProxy: ['127.0.0.1'] });
    const guesser = await peerFrom('203.0.113.1');
    await lockOut(guesser);

    const other = await peerFrom('203.0.113.2');
    assert.equal(
      (await other.register(FRONT.password)).status,
      'registered',
      'another client is not locked out',
    );
    // The lock-out follows the forwarded address, whatever the connection.
    const again = await peerFrom('203.0.113.1', 'the guesser again');
    assert.equal((await again.register(FRONT.password)).reason, 'rate-limited');
  });

  it('without --trust-proxy the header is ignored: every client behind it shares the socket address', async () => {
    await start({});
    await lockOut(await peerFrom('203.0.113.1'));

    const other = await peerFrom('203.0.113.2');
    assert.equal((await other.register(FRONT.password)).reason, 'rate-limited');
  });

  it('a spoofed chain is keyed on the address the trusted proxy saw, the rightmost untrusted one', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
        done();
      },
    });
    await start({ trustProxy: ['127.0.0.1'], logger: pino({ level: 'info' }, sink) });
    // The client wrote "6.6.6.6" itself; the proxy appended the address it was connected from.
    await lockOut(await peerFrom('6.6.6.6, 10.0.0.7'));

    // Another made-up left part does not escape the lock-out, another real address is not affected.
    const respoofed = await peerFrom('7.7.7.7, 10.0.0.7');
    assert.equal((await respoofed.register(FRONT.password)).reason, 'rate-limited');
    const elsewhere = await peerFrom('6.6.6.6, 10.0.0.8');
    assert.equal((await elsewhere.register(FRONT.password)).status, 'registered');

    const refused = lines.filter((line) => String(line.msg).startsWith('register refused'));
    assert.ok(refused.length >= 3, `register refusals logged: ${refused.length}`);
    assert.ok(
      refused.every((line) => line.clientAddress === '10.0.0.7'),
      `logged addresses: ${refused.map((line) => line.clientAddress).join(', ')}`,
    );
  });

  it('an untrusted hop stops the walk: a proxy not listed cannot name the client', async () => {
    await start({ trustProxy: ['10.0.0.0/8'] }); // the socket address, 127.0.0.1, is not trusted
    await lockOut(await peerFrom('203.0.113.1'));
    const other = await peerFrom('203.0.113.2');
    assert.equal((await other.register(FRONT.password)).reason, 'rate-limited');
  });

  it('the per-address connection limit counts forwarded clients apart', async () => {
    await start({ trustProxy: ['loopback'], maxConnectionsPerAddress: 1, onOneProcess: true });
    await peerFrom('203.0.113.1');
    await peerFrom('2001:db8::1');
    await assert.rejects(
      ts.connect(FRONT.id, {
        headers: { 'X-Forwarded-For': '203.0.113.1' },
        label: 'second from one client',
      }),
      (error) => error instanceof UpgradeRefusedError && error.statusCode === 429,
    );
  });
});
