import type { Logger } from 'pino';
import type { ExtensionStore } from './ExtensionStore.js';

/** The part of the switchboard that closes a removed extension's connections on this process. */
export interface RemovedExtensionCloser {
  extensionsWithPeers(): string[];
  closeExtension(extensionId: string, reason: string): void;
}

const CLOSE_REASON = 'extension removed';

/**
 * Closes the connections of extensions removed from the store. A store that can announce removals
 * (`watchRemovals`, e.g. PostgreSQL) is listened to; any other is polled with `exists()` every
 * `intervalMs`. Resolves once watching, to the function that stops it.
 */
export async function watchExtensionRemovals(
  store: ExtensionStore,
  switchboard: RemovedExtensionCloser,
  log: Logger,
  intervalMs: number,
): Promise<() => Promise<void>> {
  const closeIfRemoved = async (extensionId: string) => {
    try {
      if (!(await store.exists(extensionId))) close(switchboard, log, extensionId);
    } catch (err) {
      log.warn({ err, extensionId }, 'extension check failed');
    }
  };
  const sweep = async () => {
    for (const extensionId of switchboard.extensionsWithPeers()) await closeIfRemoved(extensionId);
  };

  if (store.watchRemovals === undefined) {
    // A removed extension's peers are closed within one check interval.
    const timer = setInterval(() => void sweep(), intervalMs);
    timer.unref();
    return async () => clearInterval(timer);
  }

  const rechecks = new Set<NodeJS.Timeout>();
  const stopWatching = await store.watchRemovals({
    onRemoved(extensionId) {
      close(switchboard, log, extensionId);
      // A peer whose upgrade passed its exists() check just before the removal joins the switchboard
      // just after this notice: look once more, a check interval later.
      const recheck = setTimeout(() => {
        rechecks.delete(recheck);
        if (switchboard.extensionsWithPeers().includes(extensionId)) void closeIfRemoved(extensionId);
      }, intervalMs);
      recheck.unref();
      rechecks.add(recheck);
    },
    onResync() {
      log.info('listening for removed extensions again; checking the connected ones');
      void sweep();
    },
    onError(err) {
      log.warn({ err }, 'lost the connection listening for removed extensions; reconnecting');
    },
  });
  return async () => {
    for (const recheck of rechecks) clearTimeout(recheck);
    rechecks.clear();
    await stopWatching();
  };
}

function close(switchboard: RemovedExtensionCloser, log: Logger, extensionId: string): void {
  if (!switchboard.extensionsWithPeers().includes(extensionId)) return;
  log.info({ extensionId }, 'extension removed; closing its connections');
  switchboard.closeExtension(extensionId, CLOSE_REASON);
}
