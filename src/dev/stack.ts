import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, type Client } from '@temporalio/client';
import { startIntegration, temporalClient, waitForWorker } from '../client/integrations';
import { ensureSearchAttributes } from '../client/search-attributes';
import type { ConnectionConfig } from '../crm/connections';
import { openDb, type Db } from '../store/db';
import { ensureWorkspace, upsertUser } from '../store/workspace-store';
import { exited, freePort, spawnNode, spawnService, stopChild } from './processes';
import { startDevServer, type DevServer } from './temporal-dev-server';

/**
 * A throwaway copy of the main job's stack in a temporary directory: the real `temporal server
 * start-dev`, and the project's own processes (CRM sandbox, database server, worker), each started
 * from lib/src and configured only by its environment, as in production. The process-level tests
 * (worker SIGKILLed mid-pull or mid-push, the compose services) and `npm run bench` run on it.
 *
 * It lives in src/dev, beside processes.ts and temporal-dev-server.ts that it builds on and that
 * bench/ and test/ already import: it is dev tooling like main.ts, not test code, so the bench
 * (a product command) does not import from test/, and test/ does not import from bench/. Nothing in
 * the product itself imports it.
 */
export interface DevStackOptions {
  /** Prefix of the temporary directory, e.g. `kill-hubspot`; it is removed when the stack stops. */
  name: string;
  /**
   * Keep the dev server's state in a SQLite file in the stack's directory (`--db-filename`), so
   * `killAndRestartTemporal` brings back the same workflows. Default: in memory, as before.
   */
  persistTemporal?: boolean;
}

export interface WorkerProcessOptions {
  /** Extra environment (e.g. PULL_CHUNK_BUDGET_MS); wins over what the stack sets. */
  env?: Record<string, string>;
  /** Node flags for the worker alone, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** Default: no stdin, stdout and stderr inherited. */
  stdio?: SpawnOptions['stdio'];
}

export class DevStack {
  /** The worker process now running, if any. */
  worker: ChildProcess | undefined;
  private workerOptions: WorkerProcessOptions = {};
  /** How workers reach the workspace database: the data directory until `serveDatabase` or `useDatabase`. */
  private databaseEnv: Record<string, string>;
  private readonly services: ChildProcess[] = [];
  /** Workers started beside `worker` (startAnotherWorker), stopped with the stack. */
  readonly otherWorkers: ChildProcess[] = [];
  private readonly openDbs = new Set<Db>();
  private readonly onStop: (() => Promise<unknown>)[] = [];
  private clientPromise: Promise<Client> | undefined;

  private constructor(
    /** The temporary directory everything lives in. */
    readonly dir: string,
    /** The dev server now running; `killAndRestartTemporal` replaces it. */
    public temporal: DevServer,
    private readonly temporalDbFile: string | undefined,
  ) {
    this.databaseEnv = { PGLITE_DATA_DIR: this.dataDir };
  }

  /** Starts the dev server (headless, its log in the stack's directory) with the search attributes registered. */
  static async start(opts: DevStackOptions): Promise<DevStack> {
    const dir = mkdtempSync(join(tmpdir(), `crm-sync-${opts.name}-`));
    const dbFile = opts.persistTemporal ? join(dir, 'temporal.db') : undefined;
    const temporal = await startOnFreePort(join(dir, 'temporal.log'), dbFile).catch((err: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    });
    const stack = new DevStack(dir, temporal, dbFile);
    try {
      const connection = await Connection.connect({ address: temporal.address });
      await ensureSearchAttributes(connection, 'default');
      await connection.close();
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  /** The workspace database's PGlite directory. */
  get dataDir(): string {
    return join(this.dir, 'pglite');
  }

  /** The worker's CRM connections file (see `writeConnections`). */
  get connectionsFile(): string {
    return join(this.dir, 'connections.json');
  }

  /** Writes the worker's CRM connections file, owner-only since it holds the tokens. */
  writeConnections(connections: Record<string, ConnectionConfig>): void {
    writeFileSync(this.connectionsFile, JSON.stringify(connections), { mode: 0o600 });
  }

  /** Opens the workspace database directly; only while no process holds it (before the worker starts, after it stops). */
  async openDb(): Promise<Db> {
    const db = await openDb({ dataDir: this.dataDir });
    this.openDbs.add(db);
    return {
      ...db,
      close: async () => {
        this.openDbs.delete(db);
        await db.close();
      },
    };
  }

  /**
   * A workspace and its admin `<workspaceId>-admin` (the sync user), plus whatever records `setup`
   * writes, in the database the worker will open. Returns the ids an integration input needs.
   */
  async addWorkspace(
    workspaceId: string,
    opts: { permissions?: string[]; setup?: (db: Db) => Promise<void> } = {},
  ): Promise<{ workspaceId: string; syncUserId: string }> {
    const syncUserId = `${workspaceId}-admin`;
    const db = await this.openDb();
    try {
      await ensureWorkspace(db, workspaceId, 'free');
      await upsertUser(db, {
        id: syncUserId,
        workspaceId,
        email: `admin@${workspaceId}.example`,
        name: 'Admin',
        permissions: opts.permissions ?? [],
      });
      await opts.setup?.(db);
    } finally {
      await db.close();
    }
    return { workspaceId, syncUserId };
  }

  /** A service entry point (relative to lib/src) that prints `listening <url>`, stopped with the stack. */
  async startService(entry: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
    const service = await spawnService(entry, env);
    this.services.push(service.child);
    return service;
  }

  /**
   * Serves the workspace database from its own process (store/serve.js); workers started after this
   * reach it by DATABASE_URL instead of opening the directory themselves, so a worker's memory is
   * its own. PGlite has one session: clients use a pool of one.
   */
  async serveDatabase(): Promise<{ child: ChildProcess; url: string }> {
    const served = await this.startService('store/serve.js', {
      PGLITE_DATA_DIR: this.dataDir,
      PGLITE_PORT: String(await freePort()),
    });
    this.databaseEnv = { DATABASE_URL: served.url, PG_POOL_MAX: '1' };
    return served;
  }

  /** Workers started after this use that PostgreSQL database (e.g. a throwaway server) instead. */
  useDatabase(databaseUrl: string): void {
    this.databaseEnv = { DATABASE_URL: databaseUrl };
  }

  /**
   * The worker (lib/src/worker.js) in its own process, against the dev server and the connections
   * file. It opens the database directory itself (embedded PGlite, so a SIGKILL hits the database
   * too) unless `serveDatabase` or `useDatabase` said otherwise. Its options are kept for
   * `killAndRestartWorker`.
   */
  startWorker(opts: WorkerProcessOptions = this.workerOptions): ChildProcess {
    if (this.worker && this.worker.exitCode === null && this.worker.signalCode === null)
      throw new Error('a worker is already running');
    this.workerOptions = opts;
    this.worker = this.spawnWorker(opts);
    return this.worker;
  }

  private spawnWorker(opts: WorkerProcessOptions): ChildProcess {
    return spawnNode(
      'worker.js',
      {
        TEMPORAL_ADDRESS: this.temporal.address,
        CRM_CONNECTIONS_FILE: this.connectionsFile,
        LOG_LEVEL: 'warn',
        ...this.databaseEnv,
        ...(opts.env ?? {}),
      },
      opts.stdio,
      opts.nodeArgs ?? [],
    );
  }

  /**
   * One more worker process beside `worker`, on the same task queue and database, configured the
   * same way; stopped with the stack. Two workers need a database both reach (`useDatabase`): an
   * embedded PGlite directory is one process's.
   */
  startAnotherWorker(opts: WorkerProcessOptions = this.workerOptions): ChildProcess {
    if (this.databaseEnv.PGLITE_DATA_DIR)
      throw new Error('two workers cannot share an embedded database: useDatabase first');
    const child = this.spawnWorker(opts);
    this.otherWorkers.push(child);
    return child;
  }

  /** SIGKILLs the worker (no shutdown, as a crash) and starts another with the same options. */
  async killAndRestartWorker(): Promise<ChildProcess> {
    const worker = this.requireWorker();
    worker.kill('SIGKILL');
    await exited(worker);
    return this.startWorker();
  }

  /**
   * SIGKILLs the dev server (no shutdown, as a crash), waits `downMs`, and starts it again on the
   * same port and state file. Needs `persistTemporal`: without its file the server would come back
   * empty. Workers and clients reconnect by themselves.
   */
  async killAndRestartTemporal(downMs = 0): Promise<void> {
    if (!this.temporalDbFile) throw new Error('the dev server keeps no state to restart from (persistTemporal)');
    const old = this.temporal.process;
    old.kill('SIGKILL');
    await exited(old);
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    const port = Number(this.temporal.address.split(':').pop());
    this.temporal = await startDevServer({
      port,
      logFile: join(this.dir, 'temporal.log'),
      dbFile: this.temporalDbFile,
    });
  }

  /** Stops the worker: SIGTERM, then SIGKILL after `graceMs`. */
  async stopWorker(graceMs?: number): Promise<void> {
    if (this.worker) await stopChild(this.worker, graceMs);
  }

  /** A client of the dev server, shared, closed when the stack stops. */
  client(): Promise<Client> {
    this.clientPromise ??= temporalClient(this.temporal.address, 'default');
    return this.clientPromise;
  }

  /** Resolves once the worker polls the task queue; fails if it exits first. */
  async waitForWorker(): Promise<void> {
    const worker = this.requireWorker();
    await waitForWorker(await this.client(), () => worker.exitCode === null);
  }

  /** Starts an integration workflow, with the same validation the CLI applies to its input. */
  async startIntegration(input: unknown) {
    return startIntegration(await this.client(), input);
  }

  /** Registers something the caller started beside the stack (an in-process sandbox) to close with it. */
  closeWithStack(close: () => Promise<unknown>): void {
    this.onStop.push(close);
  }

  /**
   * Stops everything in reverse order of start (the worker before the database it uses, services
   * last), then the dev server, and removes the directory. Safe to call after a failed start.
   */
  async stop(): Promise<void> {
    if (this.worker) await stopChild(this.worker, 5_000).catch(() => undefined);
    for (const w of this.otherWorkers) await stopChild(w, 5_000).catch(() => undefined);
    for (const db of this.openDbs) await db.close().catch(() => undefined);
    for (const c of [...this.services].reverse()) await stopChild(c, 5_000).catch(() => undefined);
    for (const close of [...this.onStop].reverse()) await close().catch(() => undefined);
    if (this.clientPromise)
      await (await this.clientPromise.catch(() => undefined))?.connection.close().catch(() => undefined);
    await this.temporal.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private requireWorker(): ChildProcess {
    if (!this.worker) throw new Error('no worker started');
    return this.worker;
  }
}

/**
 * The dev server on a port free a moment ago. It also binds ports of its own next to that one, and
 * another test process may take the port meanwhile: a server that exits before it listens (a bind
 * failure, in well under a second) is started again on another port, at most three times.
 */
async function startOnFreePort(logFile: string, dbFile: string | undefined): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({ port: await freePort(), logFile, dbFile });
    } catch (err) {
      if (attempt >= 3 || !/exited with .* before listening/.test((err as Error).message)) throw err;
    }
  }
}
