import { fileURLToPath } from 'node:url';

/** The repository root: every child process runs from here so `--import tsx` resolves. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const benchFile = (relative: string): string =>
  fileURLToPath(new URL(`../${relative}`, import.meta.url));

export const PBX_PEERS_BIN = fileURLToPath(
  new URL('../../packages/server/bin/pbx-peers.js', import.meta.url),
);
