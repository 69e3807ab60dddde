/**
 * The extension commands on PostgreSQL, running the built `pbx-peers` binary as a user would (build first:
 * `npx tsc -b`). A file per store, so each stays well inside the runner's per-file timeout.
 */
import { postgresDatabase } from './cliAssertions.js';
import { describeExtensionCommands } from './extensionCommandsSuite.js';

describeExtensionCommands('PostgreSQL', postgresDatabase);
