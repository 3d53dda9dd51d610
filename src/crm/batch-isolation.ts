import { isCrmError, type CrmError } from './errors';

/**
 * Sends a batch the CRM may refuse as a whole for one bad input (HubSpot batch update / upsert
 * answer one 400 or 404 for the lot; Salesforce answers 400 to a collection it cannot read), so
 * that only the bad inputs are refused and the rest are written.
 *
 * A refusal that names its input (`details.inputs`) costs one more call: that input is refused and
 * the others sent again. One that does not is bisected: send the first half; if it is written, the
 * cause is in the second half, which is split in turn without being sent whole; if it fails, the
 * cause is in it, and the second half waits to be sent, together with every other half that waited,
 * once the bad input stands alone. An input found by elimination (every half beside it written)
 * is sent alone once, so the error pinned on it is its own. One bad input among 100 costs at most
 * ceil(log2 100) + 2 = 9 more calls (7 halvings, the lone suspect, the waiting halves).
 *
 * Only `invalid`, `conflict` and `notFound` refusals are isolated: rate limits, outages and auth
 * failures are thrown as they came (the activity retries or pauses the whole batch). A refusal that
 * holds for every input (a field the CRM no longer has) would cost a call per input: after
 * `budget` more calls (three bad inputs' worth, 27 for 100) the inputs not yet decided are given
 * up for now (the caller retries them later), so a batch never costs more than that.
 */
export interface Isolation<T> {
  /** Sends these inputs in one call and records their per-input results; throws for a whole-call failure. */
  send(items: T[]): Promise<void>;
  /** The CRM refused this input: record the refusal. */
  refuse(item: T, err: CrmError): void;
  /** Isolation ran out of calls before this input was decided: record it as not pushed yet. */
  defer(item: T, err: CrmError): void;
  /** The input's id or key as a refusal's `details.inputs` would name it. */
  keyOf(item: T): string;
}

export interface IsolationCount {
  /** Calls made, the first included. */
  calls: number;
  refused: number;
}

/** Whole-call refusals that point at the data sent, which splitting the batch can narrow down. */
export function refusesInputs(err: unknown): err is CrmError {
  return isCrmError(err) && (err.kind === 'invalid' || err.kind === 'conflict' || err.kind === 'notFound');
}

/** More calls than the first that one batch of `n` may spend isolating: three bad inputs' worth. */
export function isolationBudget(n: number): number {
  return 3 * (Math.ceil(Math.log2(Math.max(n, 2))) + 2);
}

export async function sendIsolating<T>(items: T[], iso: Isolation<T>): Promise<IsolationCount> {
  const count: IsolationCount = { calls: 0, refused: 0 };
  if (!items.length) return count;
  let budget = isolationBudget(items.length);
  const attempt = async (batch: T[]): Promise<CrmError | null> => {
    count.calls++;
    try {
      await iso.send(batch);
      return null;
    } catch (err) {
      if (!refusesInputs(err)) throw err;
      return err;
    }
  };
  const refuse = (item: T, err: CrmError) => {
    count.refused++;
    iso.refuse(item, err);
  };
  /** Refuses the inputs `err` names among `batch`; returns the others, or null if it names none of them. */
  const named = (batch: T[], err: CrmError): T[] | null => {
    const keys = new Set(err.details.inputs ?? []);
    if (!keys.size) return null;
    const hit = batch.filter((i) => keys.has(iso.keyOf(i)));
    if (!hit.length) return null;
    for (const i of hit) refuse(i, err);
    return batch.filter((i) => !keys.has(iso.keyOf(i)));
  };

  let pending = items;
  let err = await attempt(pending);
  while (err) {
    const rest = named(pending, err);
    if (rest) {
      pending = rest;
    } else if (pending.length === 1) {
      refuse(pending[0], err);
      return count;
    } else {
      // Bisect: `suspect` holds an input the CRM refuses, `waiting` inputs not yet sent.
      let suspect = pending;
      let cause = err;
      let confirmed = true;
      const waiting: T[] = [];
      while (suspect.length > 1) {
        if (budget-- <= 0) {
          for (const i of [...suspect, ...waiting]) iso.defer(i, cause);
          return count;
        }
        const half = Math.ceil(suspect.length / 2);
        const [a, b] = [suspect.slice(0, half), suspect.slice(half)];
        const e = await attempt(a);
        if (!e) {
          suspect = b;
          confirmed = false;
          continue;
        }
        waiting.push(...b);
        const left = named(a, e);
        if (left) {
          waiting.push(...left);
          suspect = [];
          break;
        }
        suspect = a;
        cause = e;
        confirmed = true;
      }
      // A lone suspect reached by elimination is sent once by itself: a refusal caused by two
      // inputs together (two inputs with one email) leaves it without a fault of its own.
      if (suspect.length === 1 && !confirmed && budget-- > 0) {
        const e = await attempt(suspect);
        if (e) refuse(suspect[0], e);
      } else if (suspect.length === 1) refuse(suspect[0], cause);
      pending = waiting;
    }
    if (!pending.length) return count;
    if (budget-- <= 0) {
      for (const i of pending) iso.defer(i, err);
      return count;
    }
    err = await attempt(pending);
  }
  return count;
}
