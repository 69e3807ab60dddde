#!/usr/bin/env node
/** The `pbx-peers` command: wires the subcommands into commander and turns failures into exit codes. */

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { addAdminCommands } from './cli/adminCommands.js';
import { addCallsCommands } from './cli/callsCommands.js';
import { FAILURE_EXIT_CODE, USAGE_EXIT_CODE, UsageError } from './cli/cliErrors.js';
import { addExtensionCommands } from './cli/extensionCommands.js';
import { addServeCommand } from './cli/serveCommand.js';
import { printErrorLine, toOneLine } from './cli/terminal.js';
import { OptionError } from './config/serverOptions.js';

function buildProgram(): Command {
  const program = new Command('pbx-peers')
    .description('Self-hosted WebRTC intercom: signalling server and extension management.')
    .version(packageVersion())
    // Subcommands created below inherit both settings: commander reports its own errors as one line and
    // throws instead of exiting, so every exit status is decided in `exitCodeFor`.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${toOneLine(text)}\n`) });
  addServeCommand(program);
  addExtensionCommands(program);
  addCallsCommands(program);
  addAdminCommands(program);
  return program;
}

function packageVersion(): string {
  const packageJson: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version = (packageJson as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
}

/** Reports a failure (unless commander already did) and picks the exit status. */
function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version exit 0; anything else commander rejects is a usage mistake.
    return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
  }
  const message = error instanceof Error ? error.message : String(error);
  printErrorLine(`error: ${message}`);
  // CommandFailedError and anything unexpected (an unreadable database, say) are plain failures.
  return error instanceof UsageError || error instanceof OptionError ? USAGE_EXIT_CODE : FAILURE_EXIT_CODE;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    return exitCodeFor(error);
  }
}

// `serve` leaves the server running after main returns; other commands end when their work is done.
// Setting exitCode instead of calling process.exit lets piped stdout drain first.
process.exitCode = await main(process.argv);
