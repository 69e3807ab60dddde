/** `--password` and `--password-stdin`, shared by the commands that set a password. */

import { generatePassword } from '../store/extensionIds.js';
import { UsageError } from './cliErrors.js';

export const PASSWORD_NOTICE = '(shown once; store it now)';
/** For chosen passwords; generated ones are 24 characters. */
export const MIN_PASSWORD_LENGTH = 10;

export interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

/** `--password`, `--password-stdin` or, with neither, a generated password. */
export async function chosenPassword(
  flags: PasswordOptions,
): Promise<{ password: string; generated: boolean }> {
  if (flags.passwordStdin && flags.password !== undefined) {
    throw new UsageError(
      '--password and --password-stdin cannot be used together; give the password one way.',
    );
  }
  if (flags.passwordStdin) {
    const line = await readFirstLine(process.stdin);
    if (line === undefined) {
      throw new UsageError(
        '--password-stdin found standard input empty; pipe the password into the command.',
      );
    }
    return { password: checkedPassword(line, '--password-stdin'), generated: false };
  }
  if (flags.password === undefined) return { password: generatePassword(), generated: true };
  return { password: checkedPassword(flags.password, '--password'), generated: false };
}

function checkedPassword(password: string, flag: string): string {
  if (password === '') throw new UsageError(`${flag} must not be empty.`);
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    // The password itself is not repeated.
    throw new UsageError(`${flag} must be at least ${MIN_PASSWORD_LENGTH} characters long, got ${length}.`);
  }
  return password;
}

/**
 * The first line of `input` without its line ending, or undefined when it ends without a byte. Reading
 * stops at the first line break, so a terminal need not send end-of-file.
 */
async function readFirstLine(input: NodeJS.ReadableStream): Promise<string | undefined> {
  let text = '';
  let sawBytes = false;
  input.setEncoding('utf8');
  for await (const chunk of input) {
    sawBytes = true;
    text += String(chunk);
    const end = text.indexOf('\n');
    if (end !== -1) {
      text = text.slice(0, end);
      break;
    }
  }
  if (!sawBytes) return undefined;
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
