import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

/** Paths of the tools the project's scripts install (cached by version outside the clone). */
export function testServerPath(): string {
  return execFileSync('bash', [resolve(ROOT, 'scripts/install-test-server.sh')], { encoding: 'utf8' }).trim();
}

export function temporalCliPath(): string {
  return execFileSync('bash', [resolve(ROOT, 'scripts/install-temporal-cli.sh')], { encoding: 'utf8' }).trim();
}

export { ROOT };
