/**
 * Preloaded into the worker process by the PostgreSQL-restart fault test (`node --require`), and
 * only there: a stand-in for the pool `error` listener src/store/db.ts is getting. A server restart
 * terminates every connection; an idle one (or one checked out between a transaction's statements)
 * then emits `error`, and with no listener Node ends the process. This guard swallows (and reports
 * on stderr) such an `error` only when nothing else listens, so once db.ts has its own listeners
 * the guard does nothing and the test exercises the product's handling alone.
 */
import type { EventEmitter } from 'node:events';
import pg = require('pg');

function guard(target: EventEmitter, what: string): void {
  const emit = target.emit.bind(target);
  target.emit = (event: string | symbol, ...args: unknown[]) => {
    if (event === 'error' && target.listenerCount('error') === 0) {
      process.stderr.write(`pg-error-guard: unhandled ${what} error swallowed: ${String(args[0])}\n`);
      return true;
    }
    return emit(event, ...args);
  };
}

const Base = pg.Pool;
class GuardedPool extends Base {
  constructor(...args: ConstructorParameters<typeof Base>) {
    super(...args);
    guard(this, 'pool');
    this.on('connect', (client) => guard(client, 'client'));
  }
}
pg.Pool = GuardedPool;
