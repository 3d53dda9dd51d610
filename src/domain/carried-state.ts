import { z } from 'zod';
import { PHASES } from './phase';
import { setupProblemSchema } from './crm-setup';
import { pushSettingsSchema } from './push-settings';
import { PUSH_TOTAL_KEYS } from './push-totals';
import { describeZodError, settingsSchema } from './settings';
import { OBJECT_KINDS, PULL_KINDS } from './types';

/**
 * The shape of the state an integration carries across continue-as-new (`carried` in its input),
 * checked before the workflow reads it: anyone can paste a start input with a `carried` into the
 * Temporal UI, and a junk one (a number, a field of the wrong type) would otherwise throw a
 * TypeError in workflow code, which fails the workflow task for good.
 *
 * Lenient where older runs carried less (fields added later are optional, unknown top-level keys are
 * kept), strict about types: every value here is read as the type it claims (epoch milliseconds
 * become ISO strings in `status`, counts are summed), so a wrong one must not get in.
 */
const count = z.number().int().min(0);
/** Epoch milliseconds `new Date(ms).toISOString()` can render. */
const epochMs = z.number().int().min(0).max(8.64e15);

const pullSummary = z
  .object({
    kind: z.enum(PULL_KINDS),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    seen: count,
    created: count,
    updated: count,
    ownerChanges: count,
    failure: z.string().optional(),
    failureType: z.string().optional(),
  })
  .strict();

const pushState = z
  .object({
    wanted: z.boolean(),
    totals: z.object(
      Object.fromEntries(PUSH_TOTAL_KEYS.map((k) => [k, count])) as Record<
        (typeof PUSH_TOTAL_KEYS)[number],
        typeof count
      >,
    ),
    due: count,
    deferred: count,
    lastBatchAt: epochMs.nullable(),
    failure: z.string().nullable(),
    failureType: z.string().nullable().optional(),
    lanes: z.number().int().min(1).max(64).optional(),
    retryAt: epochMs.nullable().optional(),
    failedDrains: count.optional(),
  })
  .strict();

const runCounts = z
  .object({ seen: count, created: count, updated: count, ownerChanges: count, errors: count })
  .strict();

/** A pull handed over between two of its segments (workflows/integration/pull-segments.ts). */
const pullHandOff = z
  .object({
    seq: count,
    kind: z.enum(PULL_KINDS),
    startedAt: epochMs,
    segments: z.number().int().min(1),
    progress: z.object({ done: count, total: count.nullable() }).strict().nullable(),
    cursors: z
      .object({
        runs: z
          .array(
            z
              .object({
                runId: z.string().min(1),
                stream: z.string().min(1),
                objectKind: z.enum(OBJECT_KINDS),
                total: count.nullable(),
                done: z.boolean(),
                counts: runCounts,
              })
              .strict(),
          )
          .min(1),
        potentialDuplicates: count,
      })
      .strict(),
    pause: z.object({ untilMs: epochMs, reason: z.string() }).strict().optional(),
  })
  .strict();

export const carriedStateSchema = z
  .object(
    {
      phase: z.enum(PHASES),
      connection: z.string().min(1),
      // Runs before push carried settings without `push` (the workflow fills in the default).
      settings: settingsSchema.extend({ push: pushSettingsSchema.optional() }),
      connectedAt: epochMs.nullable(),
      windowEndsAt: epochMs.nullable(),
      initialPullDone: z.boolean(),
      pullSeq: count,
      nextPullAt: epochMs.nullable(),
      lastPull: pullSummary.nullable(),
      errors: z.object({ ownerSync: count, failedPulls: count }).strict(),
      manualPullQueued: z.boolean(),
      potentialDuplicates: count.optional(),
      push: pushState.optional(),
      ignoredSignals: count.optional(),
      pullHandOff: pullHandOff.optional(),
      setup: z.array(setupProblemSchema).optional(),
      setupCreated: z.array(z.string()).optional(),
      reconcileQueued: z.boolean().optional(),
      removals: z.object({ deleted: count, unlinked: count, merged: count }).strict().optional(),
    },
    { invalid_type_error: 'carried must be the state object a previous run carried' },
  )
  .passthrough();

/** The carried state, or an Error whose message is one line: "invalid carried state: <reasons>". */
export function parseCarriedState(raw: unknown): z.infer<typeof carriedStateSchema> | undefined {
  // JSON has no undefined: `"carried": null` is the UI's way to say none.
  if (raw === undefined || raw === null) return undefined;
  const r = carriedStateSchema.safeParse(raw);
  if (!r.success) throw new Error(`invalid carried state: ${describeZodError(r.error)}`);
  return r.data;
}
