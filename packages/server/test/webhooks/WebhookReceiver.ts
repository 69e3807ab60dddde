import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, its signature checked as docs/webhooks.md tells receivers to. */
export interface ReceivedWebhook {
  eventId: string;
  type: string;
  body: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
  signatureValid: boolean;
  /** What the receiver answered. */
  status: number;
}

/**
 * A local webhook receiver for tests: answers `status()` (200 by default), records every request, and
 * checks each signature against `secret`.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  status: (request: IncomingMessage) => number | Promise<number> = () => 200;
  readonly #server: Server;

  private constructor(
    server: Server,
    readonly url: string,
  ) {
    this.#server = server;
  }

  static async start(secret: string): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = await (receiver as WebhookReceiver).status(request);
        (receiver as WebhookReceiver).received.push({
          eventId: String(request.headers['x-pbx-peers-delivery']),
          type: String(request.headers['x-pbx-peers-event']),
          body: JSON.parse(text) as ReceivedWebhook['body'],
          signatureValid: verify(secret, String(request.headers['x-pbx-peers-signature']), text),
          status,
        });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    return receiver;
  }

  /** The events answered 2xx, in arrival order. */
  delivered(): ReceivedWebhook[] {
    return this.received.filter((request) => request.status >= 200 && request.status < 300);
  }

  async waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: got ${this.summary()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  summary(): string {
    return JSON.stringify(this.received.map((request) => `${request.type}:${request.status}`));
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** The check docs/webhooks.md gives receivers: `t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
function verify(secret: string, header: string, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (match === null) return false;
  const [, timestamp, signature] = match as unknown as [string, string, string];
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
