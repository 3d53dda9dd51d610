import type { Server, Socket } from 'node:net';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { openDb, pgliteOf, type Db } from './db';

/**
 * Serves an embedded PGlite database over the PostgreSQL wire protocol (pglite-socket), so the
 * worker and the CLI, in their own processes, reach it with DATABASE_URL as they would PostgreSQL.
 * PGlite has one session, which the server gives to one transaction at a time: see src/store/db.ts.
 */
export async function servePglite(
  db: Db,
  port: number,
  host = '127.0.0.1',
): Promise<{ url: string; stop(): Promise<void> }> {
  const pglite = pgliteOf(db);
  if (!pglite) throw new Error('servePglite needs an embedded (PGlite) database');
  const server = new PGLiteSocketServer({ db: pglite, host, port, maxConnections: 8 });
  await server.start();
  coalesceResponses(server);
  return { url: `postgres://postgres@${host}:${port}/postgres`, stop: () => server.stop() };
}

/**
 * pglite-socket writes each protocol message of a response (every row, every completion) to the
 * socket on its own, and with Nagle off each is a syscall: in a full pull the database process
 * spent a sixth of its time in those writes. Corking a socket from its first write until the event
 * loop's next turn sends what the server answers to one read of the socket (a query's Parse, Bind,
 * Execute, Sync, handled one after the other in promise callbacks) in one write.
 */
function coalesceResponses(server: PGLiteSocketServer): void {
  // The server's net.Server is private; its own connection listener attaches the socket a tick
  // later (setImmediate), so this one patches the socket before any response is written.
  const net = (server as unknown as { server: Server | null }).server;
  net?.on('connection', (socket: Socket) => {
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    let corked = false;
    socket.write = ((...args: unknown[]) => {
      if (!corked) {
        corked = true;
        socket.cork();
        setImmediate(() => {
          corked = false;
          socket.uncork();
        });
      }
      return write(...args);
    }) as Socket['write'];
  });
}

/**
 * `node lib/src/store/serve.js`: the workspace database as its own process (the bench uses it so
 * the worker's memory is measured without the database's). PGLITE_DATA_DIR, PGLITE_PORT.
 * Prints `listening <url>` when ready; SIGTERM closes the database cleanly.
 */
async function main(): Promise<void> {
  const dataDir = process.env.PGLITE_DATA_DIR;
  if (!dataDir) throw new Error('PGLITE_DATA_DIR is required');
  const db = await openDb({ dataDir });
  const served = await servePglite(db, Number(process.env.PGLITE_PORT ?? 5433));
  process.stdout.write(`listening ${served.url}\n`);
  const stop = () =>
    void served
      .stop()
      .then(() => db.close())
      .then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`database server failed to start: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
