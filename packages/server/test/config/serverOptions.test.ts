import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { optionsTable } from '../../src/config/optionsTable.js';
import {
  envVarName,
  OptionError,
  resolveServerOptions,
  serverOptionSpecs,
  withDefaults,
} from '../../src/config/serverOptions.js';
import { compileProxyTrust } from '../../src/transport/proxyTrust.js';

describe('server options', () => {
  it('defaults to what the CLI reference promises', () => {
    const options = resolveServerOptions({}, {});
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.port, 8080);
    assert.equal(options.db, './data/pbx-peers.db');
    assert.equal(options.ringTimeout, 60);
    assert.equal(options.pingInterval, 30);
    assert.equal(options.maxMessageBytes, 65536);
    assert.deepEqual(options.allowedOrigins, []);
    assert.deepEqual(withDefaults({}), options);
  });

  it('reads PBX_PEERS_<NAME>, and a flag wins over the environment', () => {
    assert.equal(envVarName('ringTimeout'), 'PBX_PEERS_RING_TIMEOUT');
    assert.equal(resolveServerOptions({}, { PBX_PEERS_DB: '/tmp/x.db' }).db, '/tmp/x.db');
    assert.equal(resolveServerOptions({ port: '9000' }, { PBX_PEERS_PORT: '7000' }).port, 9000);
    assert.deepEqual(
      resolveServerOptions({ allowedOrigins: 'https://a.example, http://b.example:8080' }, {}).allowedOrigins,
      ['https://a.example', 'http://b.example:8080'],
    );
    assert.deepEqual(resolveServerOptions({ allowedOrigins: '*' }, {}).allowedOrigins, []);
  });

  it('rejects bad values with a sentence naming the flag or the variable', () => {
    assert.throws(() => resolveServerOptions({ port: '70000' }, {}), OptionError);
    assert.throws(() => resolveServerOptions({ port: 'eighty' }, {}), /--port must be a whole number/);
    assert.throws(() => resolveServerOptions({}, { PBX_PEERS_RING_TIMEOUT: '-1' }), /PBX_PEERS_RING_TIMEOUT/);
    assert.throws(
      () => resolveServerOptions({ allowedOrigins: 'https://a.example/path' }, {}),
      /did you mean/,
    );
    assert.throws(() => resolveServerOptions({ logLevel: 'loud' }, {}), /--log-level must be one of/);
    assert.throws(() => resolveServerOptions({ maxMessageBytes: '10' }, {}), /--max-message-bytes/);
    assert.throws(() => resolveServerOptions({ shutdownTimeout: '0' }, {}), /--shutdown-timeout must be/);
    assert.throws(() => resolveServerOptions({ metricsToken: ' ' }, {}), /--metrics-token must not be empty/);
  });

  it('checks options given in code as the CLI checks flags', () => {
    assert.throws(
      () => withDefaults({ port: 70_000 }),
      /--port must be a whole number from 0 to 65535, got "70000"/,
    );
    assert.throws(() => withDefaults({ ringTimeout: -1 }), /--ring-timeout must be a number of seconds/);
    assert.throws(() => withDefaults({ messageRate: 1.5 }), /--message-rate must be a whole number/);
    assert.throws(() => withDefaults({ logLevel: 'loud' as never }), /--log-level must be one of/);
    assert.throws(() => withDefaults({ allowedOrigins: ['https://a.example/x'] }), /did you mean/);
    assert.throws(() => withDefaults({ turnUrls: ['stun:x'] }), /is not a turn: or turns: URL/);
    assert.throws(() => withDefaults({ iceServers: [{ urls: 'http://x' }] }), /--ice-servers: entry 0/);
    assert.equal(withDefaults({ port: 0 }).port, 0);
    assert.deepEqual(withDefaults(resolveServerOptions({}, {})), resolveServerOptions({}, {}));
  });

  it('--trust-proxy takes addresses, CIDRs and range names, IPv4 and IPv6, and proxy-addr compiles them all', () => {
    assert.deepEqual(resolveServerOptions({}, {}).trustProxy, [], 'trusts nobody by default');
    const list =
      '127.0.0.1, ::1,10.0.0.0/8, fd00::/8 ,loopback,linklocal,uniquelocal,::ffff:10.1.2.3,192.168.1.0/24';
    const trusted = resolveServerOptions({ trustProxy: list }, {}).trustProxy;
    assert.deepEqual(trusted, [
      '127.0.0.1',
      '::1',
      '10.0.0.0/8',
      'fd00::/8',
      'loopback',
      'linklocal',
      'uniquelocal',
      '::ffff:10.1.2.3',
      '192.168.1.0/24',
    ]);
    assert.deepEqual(resolveServerOptions({}, { PBX_PEERS_TRUST_PROXY: '10.0.0.1' }).trustProxy, [
      '10.0.0.1',
    ]);
    assert.deepEqual(
      resolveServerOptions({ trustProxy: '' }, { PBX_PEERS_TRUST_PROXY: '10.0.0.1' }).trustProxy,
      [],
    );
    const trust = compileProxyTrust(trusted);
    assert.ok(trust?.('10.200.0.1', 0) && trust('fd12::1', 0) && !trust('203.0.113.1', 0));
    assert.equal(compileProxyTrust([]), undefined);
    assert.deepEqual(withDefaults({ trustProxy: ['127.0.0.1'] }).trustProxy, ['127.0.0.1']);
  });

  it('refuses a --trust-proxy entry that is not an address, a CIDR or a range name, naming the flag', () => {
    const refusal = (message: string) => (error: unknown) => {
      assert.ok(error instanceof OptionError);
      assert.equal(error.message, message);
      return true;
    };
    const notAnAddress = (name: string, entry: string) =>
      refusal(
        `${name}: "${entry}" is not an IP address, a CIDR like 10.0.0.0/8 or fd00::/8, or one of loopback, linklocal, uniquelocal.`,
      );
    for (const entry of ['10.0.0.300', 'proxy.example', '1', '*', 'true', 'localhost']) {
      assert.throws(
        () => resolveServerOptions({ trustProxy: `127.0.0.1,${entry}` }, {}),
        notAnAddress('--trust-proxy', entry),
      );
    }
    assert.throws(
      () => resolveServerOptions({}, { PBX_PEERS_TRUST_PROXY: 'nginx' }),
      notAnAddress('PBX_PEERS_TRUST_PROXY', 'nginx'),
    );
    assert.throws(
      () => resolveServerOptions({ trustProxy: '10.0.0.0/33' }, {}),
      refusal('--trust-proxy: "10.0.0.0/33" needs a prefix length from 1 to 32 after the "/".'),
    );
    assert.throws(() => resolveServerOptions({ trustProxy: '0.0.0.0/0' }, {}), /from 1 to 32/);
    assert.throws(() => resolveServerOptions({ trustProxy: 'fd00::/129' }, {}), /from 1 to 128/);
    for (const entry of ['10.0.0.0/x', '10.0.0.0/8/8', '10.0.0.0/', '10.0.0.0/255.0.0.0']) {
      assert.throws(() => resolveServerOptions({ trustProxy: entry }, {}), /needs a prefix length/, entry);
    }
    assert.throws(
      () => withDefaults({ trustProxy: [' 10.0.0.1'] }),
      notAnAddress('--trust-proxy', ' 10.0.0.1'),
    );
    assert.throws(() => withDefaults({ trustProxy: '10.0.0.1' as never }), /--trust-proxy must be a list/);
  });

  it('refuses a buffered-output bound smaller than two frames, on every path', () => {
    const twice = /--max-buffered-bytes \(65536\) must be at least twice --max-message-bytes \(65536\)/;
    assert.throws(() => resolveServerOptions({ maxBufferedBytes: '65536' }, {}), twice);
    assert.throws(() => resolveServerOptions({}, { PBX_PEERS_MAX_BUFFERED_BYTES: '65536' }), twice);
    assert.throws(() => withDefaults({ maxBufferedBytes: 65_536 }), twice);
    assert.equal(resolveServerOptions({ maxBufferedBytes: '131072' }, {}).maxBufferedBytes, 131_072);
  });

  it('documents every option in the README, exactly as the specs say', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    assert.ok(
      readme.includes(optionsTable()),
      `README.md must contain the table printed by \`npm run -s options-table\`:\n${optionsTable()}`,
    );
    for (const spec of Object.values(serverOptionSpecs)) assert.ok(readme.includes(spec.flag), spec.flag);
  });
});
