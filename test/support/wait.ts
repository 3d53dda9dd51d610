import { refusalReason } from '../../src/client/integrations';

/** Polls `fn` until `ok` holds; a throwing `fn` (the workflow has not started yet) counts as not yet. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch {
      // Not ready yet (e.g. the workflow has not started); try again.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

/** The one-line reason a refused update gave (fails if the update was accepted or failed otherwise). */
export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const reason = refusalReason(err);
    if (reason) return reason;
    throw err;
  }
  throw new Error('the update was accepted, expected a refusal');
}
