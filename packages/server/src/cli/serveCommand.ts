/** `pbx-peers serve`: runs the signalling server with options from flags, environment and defaults. */

import { constants as osConstants } from 'node:os';
import { type Command, Option } from 'commander';
import {
  envVarName,
  resolveServerOptions,
  type ServerOptionName,
  type ServerOptions,
  serverOptionNames,
  serverOptionSpecs,
} from '../config/serverOptions.js';
import { CommandFailedError, FAILURE_EXIT_CODE } from './cliErrors.js';
import { printErrorLine, printLine } from './terminal.js';

interface StoppableServer {
  close(): Promise<void>;
}

export function addServeCommand(program: Command): void {
  const serve = program.command('serve').description('Run the signalling server.');
  // Flags are generated from the option table so `serve --help`, the environment variables and the
  // README cannot drift apart.
  const attributeByOption = new Map<ServerOptionName, string>();
  for (const name of serverOptionNames) {
    const { flag, doc, shownDefault } = serverOptionSpecs[name];
    const option = new Option(
      `${flag} <value>`,
      `${doc} (default: ${shownDefault}; env ${envVarName(name)})`,
    );
    serve.addOption(option);
    attributeByOption.set(name, option.attributeName());
  }

  serve.action(async () => {
    const flags = serve.opts<Record<string, unknown>>();
    const rawValues: Partial<Record<ServerOptionName, string>> = {};
    for (const [name, attribute] of attributeByOption) {
      const value = flags[attribute];
      if (typeof value === 'string') rawValues[name] = value;
    }
    await runServer(resolveServerOptions(rawValues, process.env));
  });
}

async function runServer(options: ServerOptions): Promise<void> {
  // Loaded here rather than at the top so extension commands do not pay for loading the HTTP stack.
  const { startServer } = await import('../startServer.js');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ ...options });
  } catch (error) {
    throw listenFailure(error, options.host) ?? error;
  }
  stopOnSignals(server, options.shutdownTimeout * 1000);
  printLine(`pbx-peers listening on ${server.url}`);
}

/** Address lookup and bind failures that come from the host option, as one sentence naming it. */
const HOST_ERROR_CODES: Record<string, string> = {
  ENOTFOUND: 'is not an IP address or a host name that resolves',
  EAI_AGAIN: 'could not be resolved (the name server did not answer)',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

function listenFailure(error: unknown, host: string): CommandFailedError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const problem = code === undefined ? undefined : HOST_ERROR_CODES[code];
  if (problem === undefined) return undefined;
  return new CommandFailedError(
    `${serverOptionSpecs.host.flag} (env ${envVarName('host')}) "${host}" ${problem} (${code}); give an address of this machine such as 127.0.0.1, or 0.0.0.0 for every interface.`,
  );
}

/**
 * The first SIGTERM/SIGINT closes gracefully, within `deadlineMs`: past it the process exits anyway, with
 * the failure code and a line saying so. A second signal exits at once for an impatient operator.
 */
function stopOnSignals(server: StoppableServer, deadlineMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(128 + (osConstants.signals[signal] ?? 0));
    stopping = true;
    setTimeout(() => {
      printErrorLine(`error: the server did not close within ${deadlineMs / 1000} s; exiting anyway`);
      process.exit(FAILURE_EXIT_CODE);
    }, deadlineMs).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        printErrorLine(
          `error: closing the server failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        process.exit(FAILURE_EXIT_CODE);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
