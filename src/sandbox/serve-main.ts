/**
 * The body of a sandbox's standalone entry point: start it, print `listening <url>` (what process
 * supervisors and the bench wait for), close it cleanly on SIGTERM / SIGINT.
 */
export function serveUntilSignal(name: string, start: () => Promise<{ url: string; close(): Promise<void> }>): void {
  start()
    .then((sandbox) => {
      process.stdout.write(`listening ${sandbox.url}\n`);
      const stop = () => void sandbox.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    })
    .catch((err) => {
      console.error(`${name} failed to start: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    });
}
