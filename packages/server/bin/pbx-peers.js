#!/usr/bin/env node
// The `pbx-peers` bin. Committed as plain JavaScript so npm links it at install time, before the
// TypeScript build has produced dist/cli.js; it then hands over to the built CLI.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'error: pbx-peers is not built yet; run `npm run build` at the repository root first.\n',
  );
  process.exit(1);
}
await import(cli.href);
