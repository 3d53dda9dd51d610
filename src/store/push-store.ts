import { LOCAL_FIELDS } from '../domain/field-mapping';
import type { FieldSync, WorkspaceChange } from '../domain/field-ownership';
import { PUSH_TOTAL_KEYS, type PushTotals } from '../domain/push-totals';
import type { CrmName, ObjectKind } from '../domain/types';
import type { Db, Queryable } from './db';
import type { RemovalSwitches } from '../domain/removal-settings';
import { flagDuplicates } from './pull-store';
import { applyRemovals } from './removals';
import { enqueuePush } from './workspace-writes';

/** What the push activity reads and writes: due outbox rows, records to push, and the CRM's answers. */

export interface DueRow {
  kind: ObjectKind;
  localId: string;
  manual: boolean;
  requestedBy: string | null;
  attempts: number;
  /** The row's version when loaded: a write since then re-armed it (see recordOutcomes). */
  seq: number;
  /** 'delete': the workspace deleted the record, which is gone; the row names the CRM record (crmId, crmObject). */
  op: 'upsert' | 'delete';
  crmId: string | null;
  crmObject: string | null;
}

/**
 * Due rows, accounts first (a contact's account must be in the CRM before the contact). With lanes,
 * only this lane's share of the outbox, so concurrent batches never take the same row. A contact is
 * in its account's lane (by the account id's last byte), because a batch pushes a contact's account
 * along with it: two lanes must never upsert the same new company at once, which the CRM may answer
 * with a conflict. An account with many contacts makes its lane busier; that is the price.
 */
export async function loadDue(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  limit: number,
  lane = 0,
  lanes = 1,
): Promise<DueRow[]> {
  const { rows } = await db.query<{
    object_kind: ObjectKind;
    local_id: string;
    manual: boolean;
    requested_by: string | null;
    attempts: number;
    seq: number;
    op: 'upsert' | 'delete';
    crm_id: string | null;
    crm_object: string | null;
  }>(
    `SELECT o.object_kind, o.local_id, o.manual, o.requested_by, o.attempts, o.seq, o.op, o.crm_id, o.crm_object FROM push_outbox o
       LEFT JOIN contacts c ON o.object_kind = 'contact' AND c.id = o.local_id
      WHERE o.workspace_id = $1 AND o.crm = $2 AND o.not_before <= now()
        AND get_byte(uuid_send(${LANE_KEY}), 15) % $5 = $4
      ORDER BY o.object_kind = 'contact', o.enqueued_at, o.local_id LIMIT $3`,
    [workspaceId, crm, limit, lane, lanes],
  );
  return rows.map((r) => ({
    kind: r.object_kind,
    localId: r.local_id,
    manual: r.manual,
    requestedBy: r.requested_by,
    attempts: Number(r.attempts),
    seq: Number(r.seq),
    op: r.op,
    crmId: r.crm_id,
    crmObject: r.crm_object,
  }));
}

/** The id whose last byte picks a row's lane: the contact's account, else the record itself. */
const LANE_KEY = 'COALESCE(c.account_id, o.local_id)';

export async function outboxCounts(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
): Promise<{ due: number; deferred: number; nextDueAt: Date | null }> {
  const { rows } = await db.query<{ due: number; deferred: number; next_due: Date | null }>(
    `SELECT count(*) FILTER (WHERE not_before <= now()) AS due, count(*) FILTER (WHERE not_before > now()) AS deferred,
            min(not_before) FILTER (WHERE not_before > now()) AS next_due
       FROM push_outbox WHERE workspace_id = $1 AND crm = $2`,
    [workspaceId, crm],
  );
  return { due: Number(rows[0].due), deferred: Number(rows[0].deferred), nextDueAt: rows[0].next_due ?? null };
}

export interface AccountRow {
  id: string;
  columns: Record<string, string | null>;
  custom: Record<string, unknown>;
  domainKey: string | null;
  crmId: string | null;
  crmObject: string | null;
  /** Per field: the workspace's last own write, and what the link knows of the CRM side. */
  wsChanges: Record<string, WorkspaceChange>;
  fieldSync: Record<string, FieldSync>;
  /**
   * Its CRM record was deleted or merged away while deletion / merge sync was off (removals.ts):
   * kept and unlinked, it is not created in the CRM again by an edit, only by a manual push.
   */
  removedInCrm: boolean;
}

export interface ContactRow extends AccountRow {
  accountId: string | null;
}

export async function loadAccounts(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  ids: string[],
): Promise<AccountRow[]> {
  const rows = await loadWithLinks(db, 'account', workspaceId, crm, ids);
  return rows.map((r) => ({ ...row(r, LOCAL_FIELDS.account), domainKey: (r.domain_key as string | null) ?? null }));
}

export async function loadContacts(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  ids: string[],
): Promise<ContactRow[]> {
  const rows = await loadWithLinks(db, 'contact', workspaceId, crm, ids);
  return rows.map((r) => ({
    ...row(r, LOCAL_FIELDS.contact),
    domainKey: null,
    accountId: (r.account_id as string | null) ?? null,
  }));
}

/** Workspace records with their link to this CRM, if they have one. */
async function loadWithLinks(db: Queryable, kind: ObjectKind, workspaceId: string, crm: CrmName, ids: string[]) {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT t.*, l.crm_id, l.crm_object, l.field_sync FROM ${kind === 'contact' ? 'contacts' : 'accounts'} t
       LEFT JOIN crm_links l ON l.workspace_id = t.workspace_id AND l.crm = $2 AND l.object_kind = $4 AND l.local_id = t.id
      WHERE t.workspace_id = $1 AND t.id = ANY($3::uuid[])`,
    [workspaceId, crm, ids, kind],
  );
  return rows;
}

function row(r: Record<string, unknown>, columns: readonly string[]) {
  return {
    id: String(r.id),
    columns: Object.fromEntries(columns.map((c) => [c, (r[c] as string | null) ?? null])),
    custom: (r.custom as Record<string, unknown>) ?? {},
    crmId: (r.crm_id as string | null) ?? null,
    crmObject: (r.crm_object as string | null) ?? null,
    wsChanges: (r.ws_changes as Record<string, WorkspaceChange>) ?? {},
    fieldSync: (r.field_sync as Record<string, FieldSync> | null) ?? {},
    removedInCrm: r.crm_removed != null,
  };
}

/** CRM accounts of this domain the workspace already mirrors, and the workspace account each is linked to. */
export async function mirroredDomainMatches(db: Queryable, workspaceId: string, crm: CrmName, domainKeys: string[]) {
  const { rows } = await db.query<{
    domain_key: string;
    crm_id: string;
    local_id: string;
    crm_modified_at: string | null;
  }>(
    `SELECT a.domain_key, l.crm_id, l.local_id, l.crm_modified_at FROM accounts a
       JOIN crm_links l ON l.workspace_id = a.workspace_id AND l.crm = $2 AND l.object_kind = 'account' AND l.local_id = a.id
      WHERE a.workspace_id = $1 AND a.domain_key = ANY($3)`,
    [workspaceId, crm, domainKeys],
  );
  return rows;
}

/** Which workspace record each of these CRM ids is linked to. */
export async function linkedLocalIds(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  kind: ObjectKind,
  crmIds: string[],
): Promise<Map<string, string>> {
  const { rows } = await db.query<{ crm_id: string; local_id: string }>(
    'SELECT crm_id, local_id FROM crm_links WHERE workspace_id = $1 AND crm = $2 AND object_kind = $3 AND crm_id = ANY($4)',
    [workspaceId, crm, kind, crmIds],
  );
  return new Map(rows.map((r) => [r.crm_id, r.local_id]));
}

/** CRM owner per workspace user (their personal CRM identity). */
export async function ownerIdsByUser(db: Queryable, workspaceId: string, crm: CrmName): Promise<Map<string, string>> {
  const { rows } = await db.query<{ user_id: string; crm_owner_id: string }>(
    'SELECT user_id, min(crm_owner_id) AS crm_owner_id FROM user_crm_owner_links WHERE workspace_id = $1 AND crm = $2 GROUP BY user_id',
    [workspaceId, crm],
  );
  return new Map(rows.map((r) => [r.user_id, r.crm_owner_id]));
}

export type RecordedOutcome =
  | {
      kind: ObjectKind;
      localId: string;
      result: 'linked';
      crmId: string;
      crmObject: string;
      ownerCrmId: string | null;
      created: boolean;
      inOutbox: boolean;
      /** Fields the push wrote or settled: merged into the link's field state. */
      fieldSync?: Record<string, FieldSync>;
      /** What the error log keeps of the record, should the link be refused (refuseSecondLinks). */
      record?: Record<string, unknown>;
      /** Linked, but part of the push failed (its account association): an open error-log entry beside the link. */
      note?: { code: string; message: string; field: string | null };
    }
  | {
      kind: ObjectKind;
      localId: string;
      result: 'skipped';
      inOutbox: boolean;
      /** A linked record with nothing to send may still settle changes (e.g. an empty value). */
      fieldSync?: Record<string, FieldSync>;
    }
  | {
      kind: ObjectKind;
      localId: string;
      /**
       * deleted: a workspace deletion's CRM record is deleted (or was already). gone: the CRM no
       * longer has the linked record a push went to, handled as a CRM deletion (applyRemovals).
       */
      result: 'deleted' | 'gone';
      crmId: string;
      crmObject: string;
      inOutbox: boolean;
    }
  | {
      kind: ObjectKind;
      localId: string;
      result: 'rejected' | 'transient';
      code: string;
      message: string;
      field: string | null;
      record: Record<string, unknown>;
      crmId: string | null;
      inOutbox: boolean;
    };

/**
 * Records a batch's answers in ONE transaction: links, error-log entries (one open entry per record,
 * updated on a repeat, which says whether it failed the same way), and the outbox. Only after this
 * commits does a record leave the outbox, so a crash before it means the batch is pushed again
 * (idempotently) rather than lost.
 *
 * A CRM record links to one workspace record (crm_links' key): an answer that would link a second
 * one (two records of the batch answered with the same CRM id, or one another batch linked since)
 * becomes that record's ALREADY_LINKED rejection here, naming the other, instead of failing the
 * whole transaction and with it every later retry of the batch.
 *
 * Returns the batch's counts (committed with it under `key`, see push_batches).
 */
export async function recordOutcomes(
  db: Db,
  workspaceId: string,
  crm: CrmName,
  given: RecordedOutcome[],
  opts: {
    /** The batch's key; null or absent: no push_batches row. */
    key?: string | null;
    /** Outbox rows the batch handled (default: those among the outcomes). */
    handled?: number;
    /** The loaded version of each outbox row (`kind:localId`); absent rows are removed whatever their version. */
    seqs?: Map<string, number>;
    /** Deletion sync by object: how a `gone` record is handled (deleted, or unlinked and marked). */
    deletion?: RemovalSwitches;
  } = {},
): Promise<BatchCounts> {
  const { key = null, seqs } = opts;
  const handledOf = (o: RecordedOutcome[]) => opts.handled ?? o.filter((x) => x.inOutbox).length;
  if (!given.length) return countOutcomes([], handledOf([]));
  return db.transaction(async (tx) => {
    const outcomes = await refuseSecondLinks(tx, workspaceId, crm, given);
    const counts = countOutcomes(outcomes, handledOf(outcomes));
    if (key) await recordBatch(tx, workspaceId, crm, key, counts);
    const linked = outcomes.filter((o): o is Extract<RecordedOutcome, { result: 'linked' }> => o.result === 'linked');
    for (const kind of ['account', 'contact'] as const) {
      const mine = linked.filter((o) => o.kind === kind);
      if (!mine.length) continue;
      await tx.query(
        `INSERT INTO crm_links (workspace_id, crm, object_kind, crm_object, crm_id, local_id, crm_owner_id, field_sync)
         SELECT $1, $2, $3, r.crm_object, r.crm_id, r.local_id, r.owner, r.field_sync
           FROM jsonb_to_recordset($4::jsonb) AS r(local_id uuid, crm_id text, crm_object text, owner text, field_sync jsonb)
          -- A record the workspace deleted while its push was under way gets no link.
          WHERE EXISTS (SELECT 1 FROM ${kind === 'contact' ? 'contacts' : 'accounts'} t WHERE t.workspace_id = $1 AND t.id = r.local_id)
         ON CONFLICT (workspace_id, crm, object_kind, local_id) DO UPDATE SET crm_id = EXCLUDED.crm_id, crm_object = EXCLUDED.crm_object,
           field_sync = crm_links.field_sync || EXCLUDED.field_sync`,
        [
          workspaceId,
          crm,
          kind,
          JSON.stringify(
            mine.map((o) => ({
              local_id: o.localId,
              crm_id: o.crmId,
              crm_object: o.crmObject,
              owner: o.ownerCrmId,
              field_sync: o.fieldSync ?? {},
            })),
          ),
        ],
      );
      await tx.query(
        `UPDATE error_log SET resolved_at = now() WHERE workspace_id = $1 AND crm = $2 AND job_type = 'push' AND object_kind = $3
            AND resolved_at IS NULL AND local_id = ANY($4::uuid[])`,
        [workspaceId, crm, kind, mine.map((o) => o.localId)],
      );
    }
    const failed = outcomes.filter(
      (o): o is Extract<RecordedOutcome, { result: 'rejected' | 'transient' }> =>
        o.result === 'rejected' || o.result === 'transient',
    );
    const noted = linked.flatMap((o) =>
      o.note
        ? [{ ...o, ...o.note, result: 'rejected' as const, record: o.record ?? {}, crmId: o.crmId as string | null }]
        : [],
    );
    if (failed.length || noted.length) {
      await tx.query(
        `INSERT INTO error_log (workspace_id, crm, job_type, object_kind, local_id, crm_id, error_code, message, field, record, cause)
         SELECT $1, $2, 'push', e.kind, e.local_id, e.crm_id, e.code, e.message, e.field, e.record, e.cause
           FROM jsonb_to_recordset($3::jsonb) AS e(kind text, local_id uuid, crm_id text, code text, message text, field text, record jsonb, cause text)
         ON CONFLICT (workspace_id, crm, object_kind, local_id) WHERE job_type = 'push' AND resolved_at IS NULL DO UPDATE
           SET attempts = error_log.attempts + 1,
               same_as_before = (error_log.error_code = EXCLUDED.error_code AND error_log.message = EXCLUDED.message),
               error_code = EXCLUDED.error_code, message = EXCLUDED.message, field = EXCLUDED.field, record = EXCLUDED.record,
               cause = EXCLUDED.cause, crm_id = EXCLUDED.crm_id, occurred_at = now()`,
        [
          workspaceId,
          crm,
          JSON.stringify(
            [...failed, ...noted].map((o) => ({
              kind: o.kind,
              local_id: o.localId,
              crm_id: o.crmId,
              code: o.code,
              message: o.message,
              field: o.field,
              record: o.record,
              cause: o.result,
            })),
          ),
        ],
      );
    }
    await recordRemovals(tx, workspaceId, crm, outcomes, opts.deletion);
    // Transient failures stay in the outbox, due again after a backoff; everything else leaves it.
    // A record pushed along without a row of its own (a contact's account) gets one, so it is
    // retried by itself too. 1, 2, 4 … minutes, at most an hour: retried until it succeeds, never dropped.
    const transient = failed.filter((o) => o.result === 'transient');
    for (const o of transient) {
      await tx.query(
        `INSERT INTO push_outbox AS o (workspace_id, crm, object_kind, local_id, attempts, not_before)
         VALUES ($1, $2, $3, $4, 1, now() + interval '1 minute')
         ON CONFLICT (workspace_id, crm, object_kind, local_id) DO UPDATE SET attempts = o.attempts + 1,
           not_before = now() + least(interval '1 hour', interval '1 minute' * power(2, least(o.attempts, 10)))`,
        [workspaceId, crm, o.kind, o.localId],
      );
    }
    const settledOnly = outcomes.filter(
      (o): o is Extract<RecordedOutcome, { result: 'skipped' }> => o.result === 'skipped' && !!o.fieldSync,
    );
    for (const o of settledOnly) {
      await tx.query(
        `UPDATE crm_links SET field_sync = field_sync || $5::jsonb
          WHERE workspace_id = $1 AND crm = $2 AND object_kind = $3 AND local_id = $4`,
        [workspaceId, crm, o.kind, o.localId, JSON.stringify(o.fieldSync)],
      );
    }
    // A row leaves only if no write re-armed it meanwhile (its seq moved): that write is pushed next.
    const done = outcomes.filter((o) => o.inOutbox && o.result !== 'transient');
    for (const kind of ['account', 'contact'] as const) {
      const mine = done.filter((o) => o.kind === kind);
      if (mine.length) {
        await tx.query(
          `DELETE FROM push_outbox o USING jsonb_to_recordset($4::jsonb) AS d(local_id uuid, seq bigint)
            WHERE o.workspace_id = $1 AND o.crm = $2 AND o.object_kind = $3 AND o.local_id = d.local_id
              AND (d.seq IS NULL OR o.seq = d.seq)`,
          [
            workspaceId,
            crm,
            kind,
            JSON.stringify(mine.map((o) => ({ local_id: o.localId, seq: seqs?.get(`${kind}:${o.localId}`) ?? null }))),
          ],
        );
      }
    }
    return counts;
  });
}

/**
 * Deleted and gone CRM records, in the batch's transaction: a workspace deletion done in the CRM
 * counts as deleted; a record the CRM no longer has is a CRM deletion, by the deletion setting
 * (the workspace record deleted, or kept unlinked and marked), never an error retried forever.
 */
async function recordRemovals(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  outcomes: RecordedOutcome[],
  deletion: RemovalSwitches | undefined,
): Promise<void> {
  const deletedIds = outcomes.filter((o) => o.result === 'deleted').map((o) => o.localId);
  const deleted = deletedIds.length;
  // A deletion refused before and retried (errors retry): its entry is resolved.
  if (deleted)
    await tx.query(
      `UPDATE error_log SET resolved_at = now() WHERE workspace_id = $1 AND crm = $2 AND job_type = 'push'
          AND resolved_at IS NULL AND local_id = ANY($3::uuid[])`,
      [workspaceId, crm, deletedIds],
    );
  if (deleted)
    await tx.query(
      `INSERT INTO removal_counts (workspace_id, crm, deleted) VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id, crm) DO UPDATE SET deleted = removal_counts.deleted + $3`,
      [workspaceId, crm, deleted],
    );
  const removedAt = new Date().toISOString();
  for (const kind of ['account', 'contact'] as const) {
    const gone = outcomes.filter(
      (o): o is Extract<RecordedOutcome, { result: 'deleted' | 'gone' }> => o.result === 'gone' && o.kind === kind,
    );
    if (!gone.length) continue;
    await tx.query(
      `UPDATE error_log SET resolved_at = now() WHERE workspace_id = $1 AND crm = $2 AND job_type = 'push' AND object_kind = $3
          AND resolved_at IS NULL AND local_id = ANY($4::uuid[])`,
      [workspaceId, crm, kind, gone.map((o) => o.localId)],
    );
    const { touched } = await applyRemovals(
      tx,
      workspaceId,
      crm,
      kind,
      gone.map((o) => ({ crmId: o.crmId, crmObject: o.crmObject, removedAt, mergedInto: null })),
      { deletion },
    );
    if (touched.length) await flagDuplicates(tx, workspaceId, kind, touched);
  }
}

/** A batch's share of the status totals. Pushed-along records (not in the outbox) count only when created. */
export function countOutcomes(outcomes: RecordedOutcome[], handled: number): BatchCounts {
  return {
    handled,
    linked: outcomes.filter((o) => o.result === 'linked' && o.inOutbox).length,
    // Every record the CRM created, including accounts pushed along with their contacts.
    created: outcomes.filter((o) => o.result === 'linked' && o.created).length,
    rejected: outcomes.filter((o) => o.result === 'rejected' && o.inOutbox).length,
    transient: outcomes.filter((o) => o.result === 'transient' && o.inOutbox).length,
    skipped: outcomes.filter((o) => o.result === 'skipped').length,
  };
}

/**
 * 'linked' answers whose CRM record is (or would become) linked to another workspace record of the
 * same kind: the first of the batch keeps it (unless another record holds it already), the others
 * become rejections. Read inside the recording transaction, so it sees links committed meanwhile.
 */
async function refuseSecondLinks(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  outcomes: RecordedOutcome[],
): Promise<RecordedOutcome[]> {
  const linked = outcomes.filter((o): o is Extract<RecordedOutcome, { result: 'linked' }> => o.result === 'linked');
  if (!linked.length) return outcomes;
  const holders = new Map<string, string>();
  for (const kind of ['account', 'contact'] as const) {
    const ids = linked.filter((o) => o.kind === kind).map((o) => o.crmId);
    if (!ids.length) continue;
    for (const [crmId, localId] of await linkedLocalIds(tx, workspaceId, crm, kind, ids))
      holders.set(`${kind}:${crmId}`, localId);
  }
  return outcomes.map((o): RecordedOutcome => {
    if (o.result !== 'linked') return o;
    const k = `${o.kind}:${o.crmId}`;
    const holder = holders.get(k);
    if (holder === undefined || holder === o.localId) {
      holders.set(k, o.localId);
      return o;
    }
    return {
      kind: o.kind,
      localId: o.localId,
      result: 'rejected',
      code: 'ALREADY_LINKED',
      field: o.kind === 'contact' ? 'email' : 'domain',
      crmId: o.crmId,
      inOutbox: o.inOutbox,
      message: alreadyLinkedMessage(o.kind, o.crmId, holder),
      record: o.record ?? {},
    };
  });
}

/** The sentence of an ALREADY_LINKED rejection (also used by the push activity). */
export function alreadyLinkedMessage(kind: ObjectKind, crmId: string, other: string): string {
  return `CRM record ${crmId} is already linked to workspace ${kind} ${other}; the two are potential duplicates`;
}

/** What one push batch did: its share of the workflow's status totals. */
export interface BatchCounts extends PushTotals {
  /** Outbox rows the batch handled; 0 means nothing was due. */
  handled: number;
}

const BATCH_COUNT_COLUMNS = ['handled', ...PUSH_TOTAL_KEYS] as const;

/** The counts of a batch whose outcomes were already committed under this key, if any. */
export async function committedBatch(db: Queryable, key: string): Promise<BatchCounts | null> {
  const { rows } = await db.query<Record<(typeof BATCH_COUNT_COLUMNS)[number], number>>(
    `SELECT ${BATCH_COUNT_COLUMNS.join(', ')} FROM push_batches WHERE batch_key = $1`,
    [key],
  );
  if (!rows.length) return null;
  return Object.fromEntries(BATCH_COUNT_COLUMNS.map((c) => [c, Number(rows[0][c])])) as unknown as BatchCounts;
}

async function recordBatch(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  key: string,
  counts: BatchCounts,
): Promise<void> {
  await tx.query(
    `INSERT INTO push_batches (batch_key, workspace_id, crm, ${BATCH_COUNT_COLUMNS.join(', ')})
     VALUES ($1, $2, $3, ${BATCH_COUNT_COLUMNS.map((_, i) => `$${i + 4}`).join(', ')})`,
    [key, workspaceId, crm, ...BATCH_COUNT_COLUMNS.map((c) => counts[c])],
  );
  // A retry comes within minutes; a month of rows is kept as push history and the rest dropped.
  await tx.query(
    `DELETE FROM push_batches WHERE workspace_id = $1 AND crm = $2 AND finished_at < now() - interval '30 days'`,
    [workspaceId, crm],
  );
}

/** A manual push of a selection: `ids`, or every record of the kind not yet linked to this CRM. */
export interface ManualPushRequest {
  workspaceId: string;
  crm: CrmName;
  kind: ObjectKind;
  ids?: string[];
  allUnlinked?: boolean;
  requestedBy: string | null;
}

/** Rows one transaction of a manual push of `all` queues (enqueueUnlinkedPage). */
export const MANUAL_PUSH_PAGE = 2_000;

/**
 * Queues one page of a manual push of every record of the kind not yet linked to this CRM: up to
 * `limit` of them, in id order after `after`, in one transaction. `last` is where the next page
 * starts, null once none is left. Re-queuing a page (a retried activity) is harmless: a queued row
 * is only re-armed.
 */
export async function enqueueUnlinkedPage(
  db: Db,
  p: ManualPushRequest,
  after: string | null,
  limit = MANUAL_PUSH_PAGE,
): Promise<{ queued: number; last: string | null }> {
  return db.transaction(async (tx) => {
    const table = p.kind === 'contact' ? 'contacts' : 'accounts';
    const { rows } = await tx.query<{ id: string }>(
      `SELECT t.id FROM ${table} t WHERE t.workspace_id = $1 AND ($4::uuid IS NULL OR t.id > $4) AND NOT EXISTS (
         SELECT 1 FROM crm_links l WHERE l.workspace_id = t.workspace_id AND l.crm = $2 AND l.object_kind = $3 AND l.local_id = t.id)
        ORDER BY t.id LIMIT $5`,
      [p.workspaceId, p.crm, p.kind, after, limit],
    );
    if (rows.length)
      await enqueuePush(
        tx,
        p.workspaceId,
        p.kind,
        rows.map((r) => r.id),
        { manual: true, requestedBy: p.requestedBy, crm: p.crm },
      );
    return { queued: rows.length, last: rows.length === limit ? rows[rows.length - 1].id : null };
  });
}

/** Queues a manual push of the selection (`ids`, or every unlinked record in one transaction: see enqueueUnlinkedPage). */
export async function enqueueManualPush(db: Db, p: ManualPushRequest): Promise<number> {
  return db.transaction(async (tx) => {
    const table = p.kind === 'contact' ? 'contacts' : 'accounts';
    const { rows } = p.allUnlinked
      ? await tx.query<{ id: string }>(
          `SELECT t.id FROM ${table} t WHERE t.workspace_id = $1 AND NOT EXISTS (
             SELECT 1 FROM crm_links l WHERE l.workspace_id = t.workspace_id AND l.crm = $2 AND l.object_kind = $3 AND l.local_id = t.id)`,
          [p.workspaceId, p.crm, p.kind],
        )
      : await tx.query<{ id: string }>(`SELECT id FROM ${table} WHERE workspace_id = $1 AND id = ANY($2::uuid[])`, [
          p.workspaceId,
          p.ids ?? [],
        ]);
    if (!rows.length) return 0;
    await enqueuePush(
      tx,
      p.workspaceId,
      p.kind,
      rows.map((r) => r.id),
      { manual: true, requestedBy: p.requestedBy, crm: p.crm },
    );
    return rows.length;
  });
}

/**
 * Puts records whose push failed back in the outbox: all open push errors, or those of `ids`, or
 * (after a settings change) only the CRM's rejections. An operator's retry is manual (pushed
 * whatever the conditions); one caused by a settings change is judged by the new settings.
 */
export async function requeueFailed(
  db: Db,
  p: { workspaceId: string; crm: CrmName; ids?: string[]; cause?: 'rejected'; manual: boolean },
): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{
      object_kind: ObjectKind;
      local_id: string;
      crm_id: string | null;
      deleted: string | null;
    }>(
      `SELECT object_kind, local_id, crm_id, record->>'deleted' AS deleted FROM error_log
        WHERE workspace_id = $1 AND crm = $2 AND job_type = 'push' AND resolved_at IS NULL
          AND local_id IS NOT NULL AND ($3::uuid[] IS NULL OR local_id = ANY($3::uuid[])) AND ($4::text IS NULL OR cause = $4)`,
      [p.workspaceId, p.crm, p.ids ?? null, p.cause ?? null],
    );
    // A refused CRM deletion (push-deletes.ts keeps its CRM object in the record): its delete row again.
    const deletes = rows.filter((r) => r.deleted && r.crm_id);
    for (const r of deletes)
      await tx.query(
        `INSERT INTO push_outbox AS o (workspace_id, crm, object_kind, local_id, op, crm_id, crm_object)
         VALUES ($1, $2, $3, $4, 'delete', $5, $6)
         ON CONFLICT (workspace_id, crm, object_kind, local_id) DO UPDATE
           SET op = 'delete', crm_id = $5, crm_object = $6, not_before = now(), attempts = 0, seq = o.seq + 1`,
        [p.workspaceId, p.crm, r.object_kind, r.local_id, r.crm_id, r.deleted],
      );
    for (const kind of ['account', 'contact'] as const) {
      const ids = rows.filter((r) => r.object_kind === kind && !deletes.includes(r)).map((r) => r.local_id);
      if (ids.length) await enqueuePush(tx, p.workspaceId, kind, ids, { manual: p.manual, crm: p.crm });
    }
    return rows.length;
  });
}
