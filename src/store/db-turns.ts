import type { Db } from './db';

/** After interactive work's last query, bulk work waits this long more: the next query is usually coming. */
export const INTERACTIVE_LINGER_MS = 15;
/** Bulk work never waits longer than this for its turn, so a stream of edits cannot stop a pull. */
export const BULK_MAX_WAIT_MS = 250;

/**
 * Turns at the database between interactive work (pushing a user's edit) and bulk work (writing a
 * pull's pages), within one worker process. Both reach the same database, and on the embedded one
 * (PGlite behind pglite-socket) transactions run one at a time: a push's handful of queries each
 * waited behind a page transaction, so an edit made during a full pull took seconds to reach the
 * CRM. Now a page waits to begin while a push is using the database (for at most BULK_MAX_WAIT_MS),
 * so a push waits for at most the page already being written. Both go through the worker's one
 * connection (see DbOptions.poolMax); the turns decide who enters its queue. The CRM's rate budget makes the same
 * choice in src/crm/pacing.ts.
 */
export class DbTurns {
  private active = 0;
  private lastEndedAt = 0;
  private readonly waiting = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly lingerMs = INTERACTIVE_LINGER_MS,
    private readonly maxWaitMs = BULK_MAX_WAIT_MS,
  ) {}

  /** The same database, with every query and transaction through it counted as interactive. */
  interactive(db: Db): Db {
    const counted = <T>(fn: () => Promise<T>) => this.run(fn);
    return {
      kind: db.kind,
      query: (sql, params) => counted(() => db.query(sql, params)),
      transaction: (fn) => counted(() => db.transaction(fn)),
      exec: (sql) => counted(() => db.exec(sql)),
      close: () => db.close(),
    } satisfies Db;
  }

  /** Resolves when no interactive work has used the database for the linger time, or after the cap. */
  bulkTurn(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(cap);
        this.waiting.delete(done);
        resolve();
      };
      const cap = setTimeout(done, this.maxWaitMs);
      this.waiting.add(done);
      // Within the linger of work that has ended: nothing else would wake it before the cap.
      if (this.active === 0) this.releaseAfterLinger();
    });
  }

  private idle(): boolean {
    return this.active === 0 && Date.now() - this.lastEndedAt >= this.lingerMs;
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.lastEndedAt = Date.now();
      if (this.active === 0) this.releaseAfterLinger();
    }
  }

  private releaseAfterLinger(): void {
    if (this.timer || !this.waiting.size) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.idle()) for (const done of [...this.waiting]) done();
      else if (this.active === 0) this.releaseAfterLinger();
    }, this.lingerMs);
  }
}
