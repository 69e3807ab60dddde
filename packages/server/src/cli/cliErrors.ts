/** How a CLI command failed decides its exit status: 2 for a usage mistake, 1 for everything else. */

export const USAGE_EXIT_CODE = 2;
export const FAILURE_EXIT_CODE = 1;

/** The command line itself is wrong (bad argument value, conflicting input); exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command was well formed but could not be carried out, e.g. an unknown extension id; exits 1. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
}
