import type { Target } from '../../servers/serverKinds.js';
import { forEachConcurrent } from '../concurrency.js';
import type { IdleCloseResult, IdleOpenJob, IdleOpenResult } from '../jobs.js';
import { openPeer } from '../openPeer.js';
import type { RawWebSocket } from '../rawWs/RawWebSocket.js';

const CONNECT_TIMEOUT_MS = 20_000;

/** Idle peers for the memory figure: opened in steps, held (answering pings), closed together. */
export class IdleConnections {
  private readonly open: RawWebSocket[] = [];

  async openUpTo(job: IdleOpenJob): Promise<IdleOpenResult> {
    const target: Target = job.target;
    const wanted = Math.max(0, job.total - this.open.length);
    let failures = 0;
    await forEachConcurrent(wanted, job.concurrency, async () => {
      try {
        this.open.push(await openPeer(target, job.localAddress, job.initialize, CONNECT_TIMEOUT_MS));
      } catch {
        failures++;
      }
    });
    return { open: this.open.filter((ws) => ws.isOpen).length, failures };
  }

  closeAll(): IdleCloseResult {
    const closed = this.open.length;
    for (const ws of this.open.splice(0)) ws.destroy();
    return { closed };
  }
}
