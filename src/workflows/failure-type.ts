import { ApplicationFailure, TemporalFailure } from '@temporalio/workflow';

/** The ApplicationFailure type at the root of a failure chain (child -> activity -> application). */
export function failureType(err: unknown): string | undefined {
  let e: unknown = err;
  while (e instanceof TemporalFailure) {
    if (e instanceof ApplicationFailure) return e.type ?? undefined;
    e = e.cause;
  }
  return undefined;
}

/** The deepest message of a failure chain, which is the one that says what happened. */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof TemporalFailure && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** The first detail of the ApplicationFailure at the root of a failure chain. */
export function failureDetail<T>(err: unknown): T | undefined {
  let e: unknown = err;
  while (e instanceof TemporalFailure) {
    if (e instanceof ApplicationFailure) return e.details?.[0] as T | undefined;
    e = e.cause;
  }
  return undefined;
}

/** How long to wait before looking again when the CRM's daily allowance (less its reserve) is spent. */
export function dailyLimitWaitMs(err: unknown): number {
  return failureDetail<{ retryAfterMs?: number }>(err)?.retryAfterMs ?? 3_600_000;
}
