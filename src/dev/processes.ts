import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** Helpers for the processes the main job, the bench and the process-level tests run. */

/** A node entry point of this project (relative to lib/src) in its own process. */
export function spawnNode(
  entry: string,
  env: Record<string, string>,
  stdio: SpawnOptions['stdio'] = ['ignore', 'inherit', 'inherit'],
  nodeArgs: string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, resolve(__dirname, '..', entry)], {
    stdio,
    env: { ...process.env, ...env },
  });
}

/**
 * A service entry point (sandbox, database) that prints `listening <url>` once it accepts
 * connections; resolves with the child and that URL.
 */
export async function spawnService(
  entry: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnNode(entry, env, ['ignore', 'pipe', 'inherit']);
  const url = await new Promise<string>((ok, fail) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^listening (\S+)/m.exec(buf);
      if (m) ok(m[1]);
    });
    void exited(child).then(() => fail(new Error(`${entry} exited before it was listening`)));
  });
  return { child, url };
}

export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  await Promise.race([done, new Promise((r) => setTimeout(r, graceMs))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await done;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}
