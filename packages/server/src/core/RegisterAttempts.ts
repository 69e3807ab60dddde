import type { ExtensionDirectory } from './ExtensionDirectory.js';
import { FairQueue, type FairQueueLimits, QUEUE_FULL } from './FairQueue.js';
import type { RegisterAttemptLimiter } from './RegisterAttemptLimiter.js';

export type RegisterVerdict = 'registered' | 'bad-password' | 'rate-limited';

/**
 * Password checks are slow on purpose (scrypt), so they are rationed twice: a client address gets turns
 * in a fair queue (one check at a time per address, two in all, a bounded backlog), so a burst of guesses
 * from one address cannot delay other addresses' agents by more than a turn each; and each attempt is
 * counted against the failure limit of its address and extension when its turn comes, before the check.
 * One check at a time per address also keeps the limit exact on one process: an office of agents behind
 * one address, all registering at once after a restart, are checked in turn and all succeed.
 */
export const PASSWORD_CHECK_LIMITS: FairQueueLimits = { concurrency: 2, perKey: 1, maxWaitingPerKey: 64 };

export class RegisterAttempts {
  private readonly queue: FairQueue;

  constructor(
    private readonly directory: ExtensionDirectory,
    private readonly limiter: RegisterAttemptLimiter,
    limits: FairQueueLimits = PASSWORD_CHECK_LIMITS,
  ) {
    this.queue = new FairQueue(limits);
  }

  async check(clientAddress: string, extensionId: string, password: string): Promise<RegisterVerdict> {
    const verdict = await this.queue.run(clientAddress, async (): Promise<RegisterVerdict> => {
      const key = `${clientAddress}|${extensionId}`;
      if (!(await this.limiter.beginAttempt(key))) return 'rate-limited';
      if (!(await this.directory.checkPassword(extensionId, password))) return 'bad-password';
      await this.limiter.refund(key);
      return 'registered';
    });
    return verdict === QUEUE_FULL ? 'rate-limited' : verdict;
  }
}
