import { heartbeat } from '@temporalio/activity';
import { isCrmError } from '../crm/errors';
import type { CrmPushPort, DeleteOutcome } from '../crm/port';
import { removalObjectOf, removalOn, type RemovalSwitches } from '../domain/removal-settings';
import type { CrmName } from '../domain/types';
import type { DueRow, RecordedOutcome } from '../store/push-store';

/**
 * The outbox's delete rows (a workspace deletion of a linked record): with deletion sync on for the
 * record's object, its CRM record is deleted, one call per CRM object; off, the row is dropped and
 * the CRM keeps the record. The CRM's answers follow the other pushes' rules (recordOutcomes): a
 * passing failure stays in the outbox and is retried, a refusal goes to the error log with the
 * CRM's message, and a record the CRM no longer has is deleted already.
 */
export async function pushDeletes(
  crm: CrmPushPort,
  input: { crm: CrmName; deletion?: RemovalSwitches },
  rows: DueRow[],
): Promise<RecordedOutcome[]> {
  const out: RecordedOutcome[] = [];
  const byObject = new Map<string, DueRow[]>();
  for (const r of rows) {
    if (!r.crmId || !r.crmObject || !removalOn(input.deletion, removalObjectOf(input.crm, r.crmObject))) {
      out.push({ kind: r.kind, localId: r.localId, result: 'skipped', inOutbox: true });
      continue;
    }
    byObject.set(r.crmObject, [...(byObject.get(r.crmObject) ?? []), r]);
  }
  for (const [object, group] of byObject) {
    heartbeat('deletes');
    const answers = new Map((await deleteAll(crm, object, group)).map((a) => [a.crmId, a]));
    for (const r of group) {
      const a = answers.get(r.crmId!);
      const base = { kind: r.kind, localId: r.localId, crmId: r.crmId!, inOutbox: true };
      if (a?.ok) out.push({ ...base, result: 'deleted', crmObject: object });
      else
        out.push({
          ...base,
          result: a?.cause ?? 'transient',
          code: a?.code ?? 'NO_ANSWER',
          message: a?.message ?? `${crm.displayName} gave no answer for this record's deletion; retried by itself`,
          field: null,
          record: { deleted: object },
        });
    }
  }
  return out;
}

/** A whole call refused as invalid (not rate limits, outages, auth) becomes each record's refusal. */
async function deleteAll(crm: CrmPushPort, object: string, group: DueRow[]): Promise<DeleteOutcome[]> {
  const ids = group.map((r) => r.crmId!);
  try {
    return await crm.deleteRecords(object, ids);
  } catch (err) {
    if (!isCrmError(err) || !['invalid', 'conflict', 'notFound'].includes(err.kind)) throw err;
    return ids.map((crmId) => ({
      crmId,
      ok: false,
      cause: 'rejected',
      code: err.details.code ?? err.kind.toUpperCase(),
      message: err.message,
    }));
  }
}
