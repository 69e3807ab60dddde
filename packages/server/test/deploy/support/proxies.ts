/**
 * The reverse proxies of docs/deploy.md, run for real from a temporary folder: nginx (master and
 * workers, not daemonized) and haproxy (foreground), each in its own process group, with a self-signed
 * certificate made by openssl.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { GroupProcess } from '../../support/GroupProcess.js';
import { waitForPort } from '../../support/serveNodes.js';

const run = promisify(execFile);

/** The full path of a program on PATH or in the sbin folders (where Debian puts nginx and haproxy). */
export function findProgram(name: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const folder of folders) {
    if (folder === '') continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Why a test of `program` is skipped, or false when it is installed (`.ci/run` installs both proxies). */
export function missingProgram(name: string): string | false {
  return findProgram(name) === undefined
    ? `${name} is not installed (apt-get install ${name}; .ci/run installs it)`
    : false;
}

/** A temporary folder others may enter (nginx's workers do not run as root), removed by `remove`. */
export async function workFolder(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  await chmod(path, 0o755);
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface Certificate {
  certPath: string;
  keyPath: string;
  /** Certificate and key in one file, as haproxy's `crt` takes them. */
  pemPath: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, valid one day. */
export async function selfSignedCertificate(folder: string): Promise<Certificate> {
  const certPath = join(folder, 'cert.pem');
  const keyPath = join(folder, 'key.pem');
  const pemPath = join(folder, 'cert-and-key.pem');
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { timeout: 30_000 },
  );
  await writeFile(pemPath, `${await readFile(certPath, 'utf8')}${await readFile(keyPath, 'utf8')}`, {
    mode: 0o600,
  });
  return { certPath, keyPath, pemPath };
}

export interface RunningProxy {
  readonly process: GroupProcess;
  stop(): Promise<void>;
}

/**
 * nginx with `siteConfig` (what docs/deploy.md puts in conf.d) included in a minimal main configuration of
 * its own, everything (pid, temp files) in `folder`, the error log on stderr. Resolves once `waitPort`
 * accepts connections.
 */
export async function startNginx(
  siteConfig: string,
  folder: string,
  waitPort: number,
): Promise<RunningProxy> {
  const nginx = findProgram('nginx');
  if (nginx === undefined) throw new Error('nginx is not installed');
  await writeFile(join(folder, 'pbx-peers.conf'), siteConfig);
  const main = join(folder, 'nginx.conf');
  await writeFile(
    main,
    [
      'worker_processes 1;',
      'error_log stderr warn;',
      'events { worker_connections 1024; }',
      'http {',
      '    access_log off;',
      '    client_body_temp_path body;',
      '    proxy_temp_path proxy;',
      '    fastcgi_temp_path fastcgi;',
      '    uwsgi_temp_path uwsgi;',
      '    scgi_temp_path scgi;',
      `    include ${join(folder, 'pbx-peers.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const args = [
    '-p',
    folder,
    '-e',
    'stderr',
    '-c',
    main,
    '-g',
    `daemon off; pid ${join(folder, 'nginx.pid')};`,
  ];
  const checked = await run(nginx, [...args, '-t'], { timeout: 10_000 }).catch(
    (error: { stderr?: string }) => {
      throw new Error(`nginx -t refused the configuration:\n${error.stderr ?? String(error)}\n${siteConfig}`);
    },
  );
  void checked;
  return running(GroupProcess.start(nginx, args, { label: 'nginx' }), waitPort);
}

/**
 * haproxy with `config` (what docs/deploy.md adds to haproxy.cfg) after a `global` section of the test's
 * own, in the foreground (-db). Resolves once `waitPort` accepts connections.
 */
export async function startHaproxy(config: string, folder: string, waitPort: number): Promise<RunningProxy> {
  const haproxy = findProgram('haproxy');
  if (haproxy === undefined) throw new Error('haproxy is not installed');
  const path = join(folder, 'haproxy.cfg');
  await writeFile(path, `global\n    maxconn 1000\n\n${config}`);
  await run(haproxy, ['-c', '-f', path], { timeout: 10_000 }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(
        `haproxy -c refused the configuration:\n${error.stdout ?? ''}${error.stderr ?? String(error)}`,
      );
    },
  );
  return running(GroupProcess.start(haproxy, ['-db', '-f', path], { label: 'haproxy' }), waitPort);
}

/** The proxy once `waitPort` accepts connections; stopped when it never does. */
async function running(child: GroupProcess, waitPort: number): Promise<RunningProxy> {
  await child.untilReady(waitForPort(waitPort, child));
  return { process: child, stop: async () => void (await child.stop()) };
}
