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
