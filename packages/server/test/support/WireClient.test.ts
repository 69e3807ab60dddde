import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type WebSocket as ServerSocket, WebSocketServer } from 'ws';
import { UpgradeRefusedError } from './UpgradeRefusedError.js';
import { WireClient } from './WireClient.js';

/**
 * The protocol tests are only as strict as their client: these check that its waits and silences fail
 * when they should. The fake server echoes `{"reply": <frame>}`; a frame `{"say":[...]}` makes it send
 * each item as a text frame; `{"close":[code, reason]}` closes; path `/refuse` answers HTTP 404.
 */
describe('WireClient (test support)', () => {
  let http: Server;
  let wss: WebSocketServer;
  let url: string;
  before(async () => {
    http = createServer();
    wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => [...offered][0] ?? false });
    http.on('upgrade', (request, socket, head) => {
      if (request.url === '/refuse') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws: ServerSocket) => {
        ws.on('message', (data) => {
          const message = JSON.parse(String(data)) as {
            say?: string[];
            close?: [number, string];
            id?: unknown;
          };
          if (message.say !== undefined) for (const frame of message.say) ws.send(frame);
          else if (message.close !== undefined) ws.close(...message.close);
          else ws.send(JSON.stringify({ reply: message }));
        });
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  const say = (...messages: unknown[]) => ({ say: messages.map((message) => JSON.stringify(message)) });

  it('connect rejects with the HTTP status of a refused upgrade', async () => {
    const error = await WireClient.connect(`${url}/refuse`).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof UpgradeRefusedError);
    assert.equal(error.statusCode, 404);
  });

  it('next takes messages in order; nextMatching takes the first match and leaves the rest in order', async () => {
    const client = await WireClient.connect(url);
    client.send(say({ n: 1 }, { n: 2 }, { n: 3 }));
    assert.deepEqual(await client.nextMatching((message) => message.n === 2), { n: 2 });
    assert.deepEqual(await client.next(), { n: 1 });
    assert.deepEqual(await client.next(), { n: 3 });
    assert.deepEqual(
      client.history.map((message) => message.n),
      [1, 2, 3],
    );
    await client.close();
  });

  it('a wait that times out rejects naming what it awaited and what was queued', async () => {
    const client = await WireClient.connect(url, { label: 'probe' });
    client.send(say({ n: 1 }));
    await assert.rejects(
      client.nextMatching((message) => message.n === 9, 100, 'the ninth message'),
      /probe: timed out after 100 ms waiting for the ninth message; queued instead: \{"n":1\}/,
    );
    await assert.rejects(client.closed(50), /timed out after 50 ms waiting for the connection to close/);
    await client.close();
  });

  it('expectSilence fails when a message arrives within the window, or one is still queued', async () => {
    const client = await WireClient.connect(url);
    client.send(say({ late: true }));
    await assert.rejects(client.expectSilence(100), /expected no message within 100 ms/);
    client.drain();
    await client.expectSilence(50);
    await client.close();
  });

  it('request gives an id and returns the reply carrying it, leaving other messages queued', async () => {
    const client = await WireClient.connect(url);
    client.send(say({ type: 'event', n: 1 }, { type: 'response', id: 'other' }));
    client.send(say({ type: 'response', id: 'req-1', ok: true }));
    assert.deepEqual(await client.request({ type: 'status' }), { type: 'response', id: 'req-1', ok: true });
    assert.deepEqual(await client.nextMatching((message) => 'reply' in message), {
      reply: { type: 'status', id: 'req-1' },
    });
    assert.deepEqual(client.drain(), [
      { type: 'event', n: 1 },
      { type: 'response', id: 'other' },
    ]);
    await client.close();
  });

  it('marks a frame that is not a JSON object so no expectation can match it', async () => {
    const client = await WireClient.connect(url);
    client.send({ say: ['[1]', 'oops'] });
    assert.deepEqual(await client.next(), { type: '<not a JSON object>', text: '[1]' });
    assert.deepEqual(await client.next(), { type: '<not a JSON object>', text: 'oops' });
    await client.close();
  });

  it('closed resolves with the close code and reason, and pending waits reject', async () => {
    const client = await WireClient.connect(url);
    const waiting = client.next(1_000);
    client.send({ close: [4404, 'gone'] });
    assert.deepEqual(await client.closed(), { code: 4404, reason: 'gone' });
    await assert.rejects(waiting, /the connection closed \(4404 gone\) while waiting for the next message/);
  });
});
