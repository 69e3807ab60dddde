import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { EndedCall } from '../../src/core/EndedCall.js';
import { type RunningServer, startServer } from '../../src/startServer.js';
import type { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';
import { connectCall, hangUp } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { FRONT } from '../support/extensions.js';
import { storeWithExtensions } from '../support/startServerWithExtensions.js';
import { WireClient } from '../support/WireClient.js';

/**
 * Issue 10: the call history is never on the call path. A store whose history writes hang, or fail,
 * delays no protocol message; a failure is counted in the metrics and the write is tried again, and the
 * next calls work.
 */

type RecordCall = (call: EndedCall) => Promise<boolean>;

/** The store, with `recordCall` replaced. */
function withRecordCall(store: SqliteExtensionStore, recordCall: RecordCall): SqliteExtensionStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'recordCall') return recordCall;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function metric(server: RunningServer, series: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('call history: a store in trouble', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  async function serverWith(recordCall: (real: RecordCall) => RecordCall) {
    const store = await storeWithExtensions(':memory:', [FRONT]);
    cleanups.push(() => store.close());
    const real: RecordCall = (call) => store.recordCall(call);
    const server = await startServer({
      port: 0,
      logLevel: 'silent',
      resumeGrace: 0,
      ringTimeout: 0,
      nodeId: 'troubled',
      store: withRecordCall(store, recordCall(real)),
    });
    cleanups.push(() => server.close());
    const connect = async (label: string) => {
      const client = await WireClient.connect(`${server.url.replace('http', 'ws')}/peers/${FRONT.id}`, {
        label,
      });
      cleanups.push(() => client.close());
      await client.init();
      return client;
    };
    return { server, store, connect };
  }

  it('a write that never finishes delays neither the hang-up nor the next call', async () => {
    const hung: (() => void)[] = [];
    const { connect } = await serverWith(
      () => () => new Promise<boolean>((resolve) => hung.push(() => resolve(true))),
    );
    // Released before the server closes, so its shutdown need not wait for them.
    cleanups.push(async () => {
      for (const release of hung) release();
    });
    const agent = await connect('agent');
    await agent.request({ type: 'register', peerId: agent.peerId, password: FRONT.password });
    const caller = await connect('caller');
    for (let call = 0; call < 3; call++) {
      const callId = await connectCall(caller, agent);
      const started = Date.now();
      await hangUp(caller, agent, callId);
      assert.ok(Date.now() - started < 1_000, 'the hang-up was answered at once');
    }
    assert.equal(hung.length, 3, 'each call was handed to the store once');
  });

  it('a write that fails is counted and logged, tried again, and recorded; the calls after it too', async () => {
    let failures = 1;
    const { server, store, connect } = await serverWith((real) => (call) => {
      if (failures-- > 0) return Promise.reject(new Error('disk on fire'));
      return real(call);
    });
    const agent = await connect('agent');
    await agent.request({ type: 'register', peerId: agent.peerId, password: FRONT.password });
    const caller = await connect('caller');
    const refused = await connectCall(caller, agent);
    await hangUp(caller, agent, refused);
    const next = await connectCall(caller, agent);
    await hangUp(agent, caller, next);
    // The refused write is tried again a second later.
    const deadline = Date.now() + 5_000;
    while ((await store.listCalls()).length < 2 && Date.now() < deadline) await delay(20);
    assert.deepEqual((await store.listCalls()).map((record) => record.callId).sort(), [next, refused].sort());
    assert.equal(await metric(server, 'pbx_peers_history_write_failures_total{node="troubled"}'), 1);
    assert.equal(await metric(server, 'pbx_peers_calls_total{outcome="answered",node="troubled"}'), 2);
  });
});
