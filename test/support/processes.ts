import type { ChildProcess } from 'node:child_process';
import { spawnNode } from '../../src/dev/processes';

export { exited, freePort } from '../../src/dev/processes';

/** The real worker entry point in its own process, configured only through its environment. */
export function spawnWorker(env: Record<string, string>): ChildProcess {
  return spawnNode('worker.js', { LOG_LEVEL: 'warn', ...env }, ['ignore', 'ignore', 'inherit']);
}
