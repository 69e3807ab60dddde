import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { REPO_ROOT } from '../servers/paths.js';
import type { MachineInfo } from './results.js';

function packageVersion(name: string): string {
  try {
    const json: unknown = JSON.parse(readFileSync(`${REPO_ROOT}node_modules/${name}/package.json`, 'utf8'));
    const version = (json as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function openFilesLimit(): string {
  try {
    return execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2000 }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(pinned: boolean): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) cpuModel = match[1].trim();
  } catch {
    // not Linux: os.cpus() is good enough
  }
  return {
    cpuModel,
    cpus: cpus().length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    ws: packageVersion('ws'),
    peer: packageVersion('peer'),
    pinned,
    openFilesLimit: openFilesLimit(),
  };
}
