import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { connectCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer } from '../support/testServer.js';

/** A pino destination that keeps every line, parsed. */
function logCollector(): { lines: Record<string, unknown>[]; sink: Writable } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, sink };
}

/** What operators see at `--log-level trace`: each connection and message, never a secret. */
describe('logs', () => {
  it('trace names every connection and message, register outcomes at info, and never the password or signal data', async () => {
    const { lines, sink } = logCollector();
    const ts = await startTestServer({
      extensions: [FRONT],
      nodeId: 'node-a',
      logger: pino({ level: 'trace' }, sink),
    });
    try {
      const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
      const guesser = await ts.peer(FRONT.id, 'guesser');
      await guesser.register('a wrong password');
      const caller = await ts.peer(FRONT.id, 'caller');
      const callId = await connectCall(caller, agent);
      caller.send({ type: 'signal', peerId: caller.peerId, callId, data: { sdp: 'secret-sdp-body' } });
      await agent.next();
      await caller.close();
      await delay(100);
    } finally {
      await ts.close();
    }
    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    assert.doesNotMatch(text, new RegExp(FRONT.password));
    assert.doesNotMatch(text, /a wrong password/);
    assert.doesNotMatch(text, /secret-sdp-body/);
    const messages = (msg: string) => lines.filter((line) => line.msg === msg);
    assert.ok(
      lines.every((line) => line.node === 'node-a'),
      'every line names the node',
    );
    assert.equal(messages('connection opened').length, 3);
    assert.ok(messages('connection closed').length >= 1);
    const refused = messages('register refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.level, 30); // info
    assert.equal(refused[0]?.reason, 'bad-password');
    assert.equal(refused[0]?.extensionId, FRONT.id);
    assert.equal(refused[0]?.clientAddress, '127.0.0.1');
    const accepted = messages('register accepted');
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]?.level, 30);
    assert.equal(accepted[0]?.clientAddress, '127.0.0.1');
    assert.equal(accepted[0]?.extensionId, FRONT.id);
    for (const what of ['call placed', 'call answered', 'call ended']) {
      const [line, ...more] = messages(what);
      assert.equal(more.length, 0, `one "${what}"`);
      assert.equal(line?.level, 30, what);
      assert.equal(line?.extensionId, FRONT.id, what);
      assert.equal(typeof line?.callId, 'string', what);
    }
    const [ended] = messages('call ended');
    assert.equal(ended?.outcome, 'dropped');
    assert.equal(ended?.endedBy, 'caller');
    assert.equal(typeof ended?.ringMs, 'number');
    assert.equal(typeof ended?.talkMs, 'number');
    const kinds = new Set(messages('message in').map((line) => line.type));
    for (const kind of ['init', 'register', 'call', 'answer', 'signal']) assert.ok(kinds.has(kind), kind);
    assert.ok(messages('message out').some((line) => line.type === 'signal'));
  });

  it('a lock-out is a warning naming the address and the extension', async () => {
    const { lines, sink } = logCollector();
    const ts = await startTestServer({
      extensions: [FRONT],
      registerFailureLimit: 1,
      logger: pino({ level: 'info' }, sink),
      onOneProcess: true,
    });
    try {
      const guesser = await ts.peer(FRONT.id, 'guesser');
      await guesser.register('wrong once');
      await guesser.register('wrong twice');
      await delay(50);
    } finally {
      await ts.close();
    }
    const lockOuts = lines.filter((line) => line.msg === 'register refused: address locked out');
    assert.ok(lockOuts.length >= 1, 'a lock-out line');
    assert.equal(lockOuts[0]?.level, 40); // warn
    assert.equal(lockOuts[0]?.clientAddress, '127.0.0.1');
    assert.equal(lockOuts[0]?.extensionId, FRONT.id);
    assert.doesNotMatch(JSON.stringify(lines), /wrong once|wrong twice/);
  });
});
