import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../client/search-attributes';

const ROOT = resolve(__dirname, '../../..');

/** The `temporal` CLI: $TEMPORAL_CLI, one on PATH, or built from source once into the cache. */
export function temporalCli(): string {
  return execFileSync('bash', [resolve(ROOT, 'scripts/install-temporal-cli.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev` with the Web UI and, given a db file, state that survives restarts.
 * Search attributes passed here only apply when the namespace is created; callers also run
 * ensureSearchAttributes (see src/client/search-attributes.ts).
 */
export async function startDevServer(opts: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  logFile?: string;
}): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  for (const a of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${a.name}=Keyword`);
  // The server's own warnings (e.g. dial errors while it shuts down) go to the log file when given.
  const stderr = opts.logFile ? openSync(opts.logFile, 'a') : 'inherit';
  const child = spawn(temporalCli(), args, { stdio: ['ignore', 'ignore', stderr], detached: false });
  if (typeof stderr === 'number') closeSync(stderr);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitForPort(opts.port, 60_000, child);
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : null,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}
