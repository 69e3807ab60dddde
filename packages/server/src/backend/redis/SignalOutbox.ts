import { encodeBatch } from './noticeCodec.js';

/**
 * Signals (and signal refusals) on their way to other processes, sent as one PUBLISH per process per
 * macrotask: a peer's SDP and its burst of ICE candidates, and every other call's signals of the same
 * moment, cost Redis and both processes one message instead of one each.
 *
 * Order: each process's signals stay in the order given. `flush` sends everything held; the backend
 * calls it before any script, so a signal is published before a hang-up (or any notice) that follows
 * it on this process.
 */
export class SignalOutbox {
  private readonly batches = new Map<string, Batch>();
  private flushScheduled = false;

  constructor(
    private readonly publish: (channel: string, message: string) => Promise<unknown>,
    /** A batch this long (in UTF-16 code units) is sent at once. */
    private readonly maxLength = 256 * 1024,
  ) {}

  /** Settles when the batch holding this signal has been published. */
  send(channel: string, signal: string): Promise<void> {
    let batch = this.batches.get(channel);
    if (batch === undefined) {
      batch = newBatch();
      this.batches.set(channel, batch);
    }
    batch.signals.push(signal);
    batch.length += signal.length;
    const { sent } = batch;
    if (batch.length >= this.maxLength) this.sendBatch(channel, batch);
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    return sent;
  }

  flush(): void {
    for (const [channel, batch] of this.batches) this.sendBatch(channel, batch);
  }

  private sendBatch(channel: string, batch: Batch): void {
    this.batches.delete(channel);
    this.publish(channel, encodeBatch(batch.signals)).then(() => batch.resolve(), batch.reject);
  }
}

interface Batch {
  signals: string[];
  length: number;
  sent: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const sent = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection is handled by whoever awaits `sent`; each caller does.
  return { signals: [], length: 0, sent, resolve, reject };
}
