import { z } from 'zod';
import { describeZodError } from './settings';

/**
 * Signals cannot be refused, and a handler that throws fails the workflow task for good (Temporal
 * retries it forever). So a signal's argument is parsed here; a malformed one is dropped with one
 * sentence that `status` shows, and the integration carries on.
 */
export const reauthorizeArgsSchema = z
  .object({ connection: z.string().min(1, 'connection must name a configured CRM connection').optional() })
  .strict();

export const pullProgressSchema = z
  .object({
    seen: z.number().int().min(0),
    total: z.number().int().min(0).nullable(),
    pausedUntil: z.string().nullable().optional(),
    pauseReason: z.string().nullable().optional(),
    retrying: z
      .object({
        activity: z.string(),
        cause: z.string(),
        failureType: z.string(),
        attempts: z.number().int().min(0),
        since: z.string(),
      })
      .strict()
      .optional(),
    retried: z.string().optional(),
  })
  .strict();

/**
 * Signals without parameters (`pushPending`, `disconnect`): `{}`, or nothing at all, as the UI and
 * the CLI send. Keys are ignored rather than refused, since the name alone is the whole message; a
 * number, string or array is not an object and is dropped.
 */
export const noArgsSchema = z.object({}, { invalid_type_error: 'expected {} or no argument' }).passthrough();

/**
 * Updates without parameters (`pullNow`, `startSyncNow`) can say no, so they are strict: a key the
 * caller thought meant something (`{"kind": "full"}`) is refused rather than silently ignored.
 */
export const noArgsUpdateSchema = z
  .object({}, { invalid_type_error: 'expected {} or no argument' })
  .strict('this command takes no parameters; send {}');

/** The parsed argument, or the sentence that says why the signal was dropped. */
export function parseSignal<T>(
  name: string,
  schema: z.ZodType<T>,
  raw: unknown,
): { ok: true; value: T } | { ok: false; reason: string } {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, reason: `${name} signal ignored: ${describeZodError(r.error)}` };
}
