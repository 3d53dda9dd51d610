import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { LOCAL_FIELDS, type ObjectMapping } from '../domain/field-mapping';
import { crmTime, type SyncDirection } from '../domain/field-ownership';
import { decideOwner, type OwnerContext } from '../domain/owner-sync';
import type { CrmName, ObjectKind, PullKind } from '../domain/types';
import type { Db, Queryable } from './db';
import { newRecordSync, reconcileRecord, type ReconcileContext, type StoredRecord } from './field-reconcile';
import { applyPrecedence, type Precedence } from './precedence';
import { applyRemovals, type Removal, type RemovalRules } from './removals';
import { pruneHistory } from './retention';
import { enqueuePush, isValidEmail } from './workspace-writes';

/** A CRM record after the field mapping: what the store writes, and nothing CRM-specific. */
export interface PulledRecord {
  crmId: string;
  crmObject: string;
  columns: Record<string, string | null>;
  custom: Record<string, string | null>;
  crmOwnerId: string | null;
  parentCrmId: string | null;
  modifiedAt: string;
  /** See CrmRecord.followsTo. */
  followsTo?: string | null;
}

export interface PullRun {
  id: string;
  workspaceId: string;
  crm: CrmName;
  kind: PullKind;
  objectKind: ObjectKind;
  stream: string;
  sinceMs: number | null;
  untilMs: number;
  cursor: string | null;
  done: boolean;
  pages: number;
  seen: number;
  created: number;
  updated: number;
  ownerChanges: number;
  errors: number;
  totalEstimate: number | null;
}

export interface PageCounts {
  seen: number;
  created: number;
  updated: number;
  ownerChanges: number;
  errors: number;
}

/** Incremental pulls re-read this much before the last run's start: CRM search indexes lag writes. */
export const CURSOR_OVERLAP_MS = 2 * 60 * 1000;

const COLUMNS = LOCAL_FIELDS;

/** How a page's values are judged against the workspace's (field-ownership.ts). */
export interface PageRules {
  mapping: ObjectMapping;
  direction: SyncDirection;
  /** The CRM's modified-time precision: Salesforce whole seconds, HubSpot milliseconds. */
  crmPrecisionMs: number;
  /** When the page was read, this machine's clock. */
  readAt: number;
}
const TABLE: Record<ObjectKind, string> = { contact: 'contacts', account: 'accounts' };

/**
 * Opens (or, for a retried activity, finds) the pull run named by `runKey`. A full pull has no lower
 * bound; an incremental one starts where the stream's cursor says. `nowMs` bounds the run above.
 */
export async function beginPullRun(
  db: Db,
  p: {
    runKey: string;
    workspaceId: string;
    crm: CrmName;
    kind: PullKind;
    objectKind: ObjectKind;
    stream: string;
    nowMs: number;
  },
): Promise<PullRun> {
  return db.transaction(async (tx) => {
    const existing = await findRun(tx, 'run_key = $1', [p.runKey]);
    if (existing) return existing;
    await pruneHistory(tx, p.workspaceId, p.crm, p.stream);
    let sinceMs: number | null = null;
    if (p.kind === 'recurring') {
      const { rows } = await tx.query<{ since_ms: number }>(
        'SELECT since_ms FROM pull_cursors WHERE workspace_id = $1 AND crm = $2 AND stream = $3',
        [p.workspaceId, p.crm, p.stream],
      );
      sinceMs = rows[0] ? Number(rows[0].since_ms) : 0;
    }
    await tx.query(
      `INSERT INTO pull_runs (id, run_key, workspace_id, crm, kind, object_kind, stream, since_ms, until_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [randomUUID(), p.runKey, p.workspaceId, p.crm, p.kind, p.objectKind, p.stream, sinceMs, p.nowMs],
    );
    return (await findRun(tx, 'run_key = $1', [p.runKey]))!;
  });
}

export async function getPullRun(db: Queryable, runId: string): Promise<PullRun> {
  const run = await findRun(db, 'id = $1', [runId]);
  if (!run) throw new Error(`no pull run ${runId}`);
  return run;
}

export async function setRunTotal(db: Queryable, runId: string, total: number): Promise<void> {
  await db.query('UPDATE pull_runs SET total_estimate = $2 WHERE id = $1', [runId, total]);
}

async function findRun(db: Queryable, where: string, params: unknown[]): Promise<PullRun | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM pull_runs WHERE ${where}`, params);
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: String(r.id),
    workspaceId: String(r.workspace_id),
    crm: r.crm as CrmName,
    kind: r.kind as PullKind,
    objectKind: r.object_kind as ObjectKind,
    stream: String(r.stream),
    sinceMs: r.since_ms === null ? null : Number(r.since_ms),
    untilMs: Number(r.until_ms),
    cursor: (r.cursor as string | null) ?? null,
    done: Boolean(r.done),
    pages: Number(r.pages),
    seen: Number(r.seen),
    created: Number(r.created),
    updated: Number(r.updated),
    ownerChanges: Number(r.owner_changes),
    errors: Number(r.errors),
    totalEstimate: r.total_estimate === null ? null : Number(r.total_estimate),
  };
}

/**
 * Writes one page of a pull run in ONE transaction: records, CRM links, owners, duplicate flags,
 * error-log entries, the run's counters and its cursor. The cursor moves only from `expectedCursor`,
 * so a page applied by an attempt that later died is never applied twice: a retry finds the cursor
 * already moved and gets `stale`, then reads the run again.
 */
export async function applyPullPage(
  db: Db,
  p: {
    runId: string;
    expectedCursor: string | null;
    records: PulledRecord[];
    nextCursor: string | null;
    syncUserId: string;
    precedence?: Precedence;
    /** Absent (store tests): every pulled value is written, as a mapping of `both` fields would. */
    rules?: PageRules;
    /** CRM records of the stream removed since the last pull (incremental pulls), and what to do. */
    removals?: Removal[];
    removalRules?: RemovalRules;
  },
): Promise<PageCounts | 'stale'> {
  return db.transaction(async (tx) => {
    const { rows: locked } = await tx.query<{
      cursor: string | null;
      done: boolean;
      workspace_id: string;
      crm: string;
      object_kind: ObjectKind;
      stream: string;
      since_ms: number | null;
    }>(
      'SELECT cursor, done, workspace_id, crm, object_kind, stream, since_ms FROM pull_runs WHERE id = $1 FOR UPDATE',
      [p.runId],
    );
    const run = locked[0];
    if (!run) throw new Error(`no pull run ${p.runId}`);
    if (run.done || run.cursor !== p.expectedCursor) return 'stale';

    const crm = run.crm as CrmName;
    const toWrite =
      p.precedence && run.object_kind === 'contact'
        ? await applyPrecedence(tx, run.workspace_id, crm, p.records, p.precedence)
        : p.records;
    // Records that gave way to another CRM record of the same person were still seen.
    const counts = {
      ...(await writeRecords(
        tx,
        run.workspace_id,
        crm,
        run.object_kind,
        toWrite,
        p.syncUserId,
        rulesFor(p.records, p.rules),
        // A full run reads every record: its duplicates are flagged once, at its end.
        run.since_ms !== null,
      )),
      seen: p.records.length,
    };
    // After the page's records, so a survivor pulled on this page is linked before its losers fold in.
    if (p.removals?.length) {
      const { touched } = await applyRemovals(
        tx,
        run.workspace_id,
        crm,
        run.object_kind,
        p.removals,
        p.removalRules ?? {},
      );
      if (touched.length) await flagDuplicates(tx, run.workspace_id, run.object_kind, touched);
    }
    const done = p.nextCursor === null;
    const { rows: after } = await tx.query<{ pages: number }>(
      `UPDATE pull_runs SET cursor = $2, done = $3, pages = pages + 1, seen = seen + $4, created = created + $5,
         updated = updated + $6, owner_changes = owner_changes + $7, errors = errors + $8,
         finished_at = CASE WHEN $3 THEN now() ELSE NULL END WHERE id = $1 RETURNING pages`,
      [p.runId, p.nextCursor, done, counts.seen, counts.created, counts.updated, counts.ownerChanges, counts.errors],
    );
    if (isPowerOfTwo(after[0].pages)) await refreshStatistics(tx, run.object_kind);
    if (done) {
      await advanceStreamCursor(tx, p.runId);
      if (run.since_ms === null) await flagAllDuplicates(tx, run.workspace_id, run.object_kind);
      await resolveOwnerlessEntries(tx, run.workspace_id, crm, run.object_kind);
      await settleEnrichment(tx, run.workspace_id, crm, run.object_kind, run.stream, rulesFor([], p.rules));
    }
    return counts;
  });
}

const isPowerOfTwo = (n: number) => n >= 2 && (n & (n - 1)) === 0;
const empty = (o: object) => Object.keys(o).length === 0;

/**
 * Refreshes the planner's statistics while a pull grows the tables. PGlite runs without autovacuum,
 * so tables filled by an initial pull keep their empty-table statistics, the planner then picks the
 * wrong index for the page's lookups, and each page costs time proportional to the table (measured:
 * 90 ms a page at 50,000 contacts, against 18 ms with statistics). At pages 2, 4, 8, ... the cost
 * stays logarithmic in the pull; on PostgreSQL it merely anticipates autovacuum.
 */
async function refreshStatistics(tx: Queryable, kind: ObjectKind): Promise<void> {
  await tx.query(`ANALYZE ${TABLE[kind]}, crm_links`);
}

/** When a run finishes, the stream's next incremental pull starts a little before this run began. */
async function advanceStreamCursor(tx: Queryable, runId: string): Promise<void> {
  await tx.query(
    `INSERT INTO pull_cursors (workspace_id, crm, stream, since_ms)
       SELECT workspace_id, crm, stream, until_ms - $2 FROM pull_runs WHERE id = $1
     ON CONFLICT (workspace_id, crm, stream) DO UPDATE
       SET since_ms = GREATEST(pull_cursors.since_ms, EXCLUDED.since_ms), updated_at = now()`,
    [runId, CURSOR_OVERLAP_MS],
  );
}

/** Store tests give no rules: each pulled key is then a `both` field, written unless a change is pending. */
function rulesFor(records: PulledRecord[], rules: PageRules | undefined): ReconcileContext {
  const nowMs = Date.now();
  if (rules) return { ...rules, nowMs };
  const keys = new Set(
    records.flatMap((r) => [...Object.keys(r.columns), ...Object.keys(r.custom).map((c) => `custom.${c}`)]),
  );
  const mapping: ObjectMapping = [...keys].map((k) => ({ crmField: k, localField: k, direction: 'both' as const }));
  return { mapping, direction: 'bidirectional', crmPrecisionMs: 1, readAt: nowMs, nowMs };
}

interface ExistingRow {
  crm_id: string;
  local_id: string;
  crm_object: string;
  crm_owner_id: string | null;
  parent_crm_id: string | null;
  owner_user_id: string | null;
  crm_modified_at: string | null;
  record: Record<string, unknown>;
  field_sync: StoredRecord['fieldSync'];
}

async function writeRecords(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  kind: ObjectKind,
  records: PulledRecord[],
  syncUserId: string,
  rules: ReconcileContext,
  flagPage = true,
): Promise<PageCounts> {
  const counts: PageCounts = { seen: records.length, created: 0, updated: 0, ownerChanges: 0, errors: 0 };
  if (!records.length) return counts;
  // A page can name a record twice if it changed while the CRM was paging; the last copy wins.
  const byId = new Map(records.map((r) => [r.crmId, r]));
  const table = TABLE[kind];

  // Locked: a workspace write or a push outcome for these records waits for this page, so neither
  // is decided on values the page is about to change.
  const { rows: existingRows } = await tx.query<ExistingRow>(
    `SELECT l.crm_id, l.local_id, l.crm_object, l.crm_owner_id, l.parent_crm_id, t.owner_user_id, l.crm_modified_at,
            to_jsonb(t) AS record, l.field_sync
       FROM crm_links l JOIN ${table} t ON t.id = l.local_id
      WHERE l.workspace_id = $1 AND l.crm = $2 AND l.object_kind = $3 AND l.crm_id = ANY($4)
      FOR UPDATE OF l, t`,
    [workspaceId, crm, kind, [...byId.keys()]],
  );
  const existing = new Map(existingRows.map((r) => [r.crm_id, r]));
  const owners = await ownerContext(tx, workspaceId, crm, kind, syncUserId);

  const rows: Record<string, unknown>[] = [];
  const errors: Record<string, unknown>[] = [];
  const ownersSeen = new Map<string, boolean>();
  let unlinkedOwnerRecords = 0;
  for (const rec of byId.values()) {
    const prior = existing.get(rec.crmId);
    // Workspace -> CRM only: CRM records are linked when pushed, never brought into the workspace.
    if (!prior && rules.direction === 'workspaceToCrm') continue;
    // Seed 000 step 2: an email the workspace would not take is refused, the record logged, not written.
    const email = kind === 'contact' ? rec.columns.email : null;
    if (email && !isValidEmail(email)) {
      errors.push({
        job_type: 'pull',
        local_id: prior?.local_id ?? null,
        crm_id: rec.crmId,
        code: 'INVALID_EMAIL',
        message: `${rec.crmObject} record ${rec.crmId} was not pulled: its email "${email}" is not a valid email address`,
      });
      continue;
    }
    const localId = prior?.local_id ?? randomUUID();
    if (!prior) counts.created++;
    else if (prior.crm_modified_at !== rec.modifiedAt) counts.updated++;

    const current = prior ? prior.owner_user_id : null;
    const decision = decideOwner(owners.ctx, rec.crmOwnerId, current);
    let ownerUserId = current;
    if (decision.action === 'apply') {
      ownerUserId = decision.ownerUserId;
      if (prior) counts.ownerChanges++;
    } else if (decision.action === 'logMissingPermission') {
      errors.push({
        job_type: 'owner-sync',
        local_id: localId,
        crm_id: rec.crmId,
        code: 'OWNER_SYNC_PERMISSION',
        message:
          `owner change from the CRM not applied: sync user ${syncUserId} lacks the "${decision.permission}" permission ` +
          `(CRM owner ${rec.crmOwnerId ?? 'none'} -> user ${decision.wantedOwnerUserId ?? 'none'})`,
      });
    } else if (decision.action === 'logUnlinkedOwner') {
      // Logged once for the owner (logPullErrors), counted per record.
      unlinkedOwnerRecords++;
    }
    if (rec.crmOwnerId) ownersSeen.set(rec.crmOwnerId, owners.ctx.ownerLinks.has(rec.crmOwnerId));
    const crmAt = crmTime(rec.modifiedAt);
    const fields = prior
      ? reconcileRecord(rules, storedOf(prior), rec, crmAt)
      : { columns: rec.columns, custom: rec.custom, wsChanges: {}, ...newRecordSync(rules.mapping, rec, crmAt) };
    // The link changes when the CRM's copy did; the record row is then written too, even with no
    // value to take, as it is after a stale read: its time tells `explain` that a pull read the
    // record after a push (see domain/explain.ts).
    const linkChanged =
      !prior ||
      prior.crm_modified_at !== rec.modifiedAt ||
      prior.crm_object !== rec.crmObject ||
      prior.crm_owner_id !== rec.crmOwnerId ||
      prior.parent_crm_id !== rec.parentCrmId ||
      !isDeepStrictEqual(prior.field_sync ?? {}, fields.fieldSync);
    rows.push({
      id: localId,
      is_new: !prior,
      link_changed: linkChanged,
      touches:
        linkChanged ||
        ('staleRead' in fields && fields.staleRead === true) ||
        ownerUserId !== current ||
        !empty(fields.columns) ||
        !empty(fields.custom) ||
        !empty(fields.wsChanges) ||
        !empty(fields.origin),
      crm_id: rec.crmId,
      crm_object: rec.crmObject,
      data: fields.columns,
      custom: fields.custom,
      ws_changes: fields.wsChanges,
      origin: fields.origin,
      field_sync: fields.fieldSync,
      owner_user_id: ownerUserId,
      crm_owner_id: rec.crmOwnerId,
      parent_crm_id: rec.parentCrmId,
      modified_at: rec.modifiedAt,
    });
  }
  counts.errors = errors.length + unlinkedOwnerRecords;
  // Enrichment values a rule let through (auto-fill, auto-overwrite) are pushed now.
  const approved = rows.filter((r) => Object.keys(r.ws_changes as object).length).map((r) => r.id as string);
  if (approved.length) await enqueuePush(tx, workspaceId, kind, approved, { crm });

  // Each statement parses only what it reads: an initial pull's pages are all new records, a
  // recurring pull's mostly known ones, and the JSON parse is much of a page's database time.
  const cols = COLUMNS[kind];
  const created = rows.filter((r) => r.is_new);
  // A known record the rules leave as it is (most of a re-pull) is not rewritten.
  const known = rows.filter((r) => !r.is_new && r.touches);
  if (created.length) {
    // A new contact gets its account as it is inserted (the account's link, if already pulled), as
    // resolveAccounts would give it: updating the rows just written would cost a second version of each.
    const account =
      kind === 'contact'
        ? `, (SELECT la.local_id FROM crm_links la WHERE la.workspace_id = $1 AND la.crm = $3
               AND la.object_kind = 'account' AND la.crm_id = r.parent_crm_id)`
        : '';
    await tx.query(
      `INSERT INTO ${table} (id, workspace_id, ${cols.join(', ')}, owner_user_id, custom, field_origin${account ? ', account_id' : ''})
       SELECT r.id, $1, ${cols.map((c) => `r.data->>'${c}'`).join(', ')}, r.owner_user_id, r.custom, r.origin${account}
         FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, data jsonb, custom jsonb, owner_user_id text, origin jsonb, parent_crm_id text)`,
      [
        workspaceId,
        JSON.stringify(
          created.map(({ id, data, custom, owner_user_id, origin, parent_crm_id }) => ({
            id,
            data,
            custom,
            owner_user_id,
            origin,
            parent_crm_id,
          })),
        ),
        ...(account ? [crm] : []),
      ],
    );
  }
  if (known.length) {
    // Only the fields the rules let through are touched: a key missing from `data` keeps the workspace value.
    await tx.query(
      `UPDATE ${table} t SET ${cols.map((c) => `${c} = CASE WHEN r.data ? '${c}' THEN r.data->>'${c}' ELSE t.${c} END`).join(', ')},
         owner_user_id = r.owner_user_id, custom = t.custom || r.custom, ws_changes = t.ws_changes || r.ws_changes,
         field_origin = t.field_origin || r.origin, updated_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, data jsonb, custom jsonb, owner_user_id text, ws_changes jsonb, origin jsonb)
        WHERE t.id = r.id AND t.workspace_id = $1`,
      [
        workspaceId,
        JSON.stringify(
          known.map(({ id, data, custom, owner_user_id, ws_changes, origin }) => ({
            id,
            data,
            custom,
            owner_user_id,
            ws_changes,
            origin,
          })),
        ),
      ],
    );
  }
  // An unchanged link (most of a re-pull) is not rewritten.
  const links = rows.filter((r) => r.link_changed);
  if (links.length)
    await tx.query(
      `INSERT INTO crm_links (workspace_id, crm, object_kind, crm_object, crm_id, local_id, crm_owner_id, parent_crm_id, crm_modified_at, field_sync)
     SELECT $1, $3, $4, r.crm_object, r.crm_id, r.id, r.crm_owner_id, r.parent_crm_id, r.modified_at, r.field_sync
       FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, crm_object text, crm_id text, crm_owner_id text, parent_crm_id text, modified_at text, field_sync jsonb)
     ON CONFLICT (workspace_id, crm, object_kind, crm_id) DO UPDATE SET crm_object = EXCLUDED.crm_object,
       crm_owner_id = EXCLUDED.crm_owner_id, parent_crm_id = EXCLUDED.parent_crm_id, crm_modified_at = EXCLUDED.crm_modified_at,
       field_sync = EXCLUDED.field_sync`,
      [
        workspaceId,
        JSON.stringify(
          links.map(({ id, crm_object, crm_id, crm_owner_id, parent_crm_id, modified_at, field_sync }) => ({
            id,
            crm_object,
            crm_id,
            crm_owner_id,
            parent_crm_id,
            modified_at,
            field_sync,
          })),
        ),
        crm,
        kind,
      ],
    );
  await logPullErrors(tx, workspaceId, crm, kind, [...byId.keys()], errors, ownersSeen);
  // Contacts created by this page have their account already (see the insert above).
  const createdIds = new Set(created.map((r) => r.crm_id as string));
  const resolveIds = kind === 'contact' ? [...byId.keys()].filter((id) => !createdIds.has(id)) : [...byId.keys()];
  if (resolveIds.length) await resolveAccounts(tx, workspaceId, crm, kind, resolveIds);
  if (flagPage)
    await flagDuplicates(
      tx,
      workspaceId,
      kind,
      rows.map((r) => r.id as string),
    );
  return counts;
}

const unlinkedOwnerMessage = (crmOwnerId: string) =>
  `CRM owner ${crmOwnerId} is linked to no workspace user; owner left unchanged`;

/**
 * The page's problems in the error log. A record's own problem has one open row per record and
 * code. A CRM owner linked to no workspace user has one open row for all its records, which are the
 * links carrying that owner (reports.ts counts them): a row per record was the same line thousands
 * of times for a portal whose owners are nobody's. A repeat leaves the row as it is (its time says
 * since when) unless the message changed; the page's records that no longer have a problem get
 * theirs resolved, and so do the owners the page found linked since.
 */
async function logPullErrors(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  kind: ObjectKind,
  crmIds: string[],
  errors: Record<string, unknown>[],
  /** The CRM owners of the page's records, and whether each is linked to a workspace user. */
  ownersSeen: Map<string, boolean>,
): Promise<void> {
  // Compared here rather than in SQL: the page's open rows are few and the comparison is cheap in JS.
  // In a page whose owners are logged already (every page after the first) this is the only statement.
  const { rows: open } = await tx.query<{
    id: number;
    job_type: string;
    crm_id: string | null;
    crm_owner_id: string | null;
    error_code: string;
    message: string;
  }>(
    // Two arms, each through its own index (error_log_open_pull, error_log_open_owner).
    `SELECT id, job_type, crm_id, crm_owner_id, error_code, message FROM error_log
      WHERE workspace_id = $1 AND crm = $2 AND job_type IN ('pull', 'owner-sync') AND object_kind = $3
        AND resolved_at IS NULL AND crm_id = ANY($4)
     UNION ALL
     SELECT id, job_type, crm_id, crm_owner_id, error_code, message FROM error_log
      WHERE workspace_id = $1 AND crm = $2 AND job_type = 'owner-sync' AND object_kind = $3
        AND error_code = 'OWNER_NOT_LINKED' AND resolved_at IS NULL AND crm_owner_id = ANY($5)`,
    [workspaceId, crm, kind, crmIds, [...ownersSeen.keys()]],
  );
  const openOwners = open.filter((o) => o.crm_owner_id !== null);
  const openRecords = open.filter((o) => o.crm_owner_id === null);
  const key = (jobType: unknown, code: unknown, crmId: unknown) => `${jobType} ${code} ${crmId}`;
  const now = new Map(errors.map((e) => [key(e.job_type, e.code, e.crm_id), e]));
  const gone = [
    ...openRecords.filter((o) => !now.has(key(o.job_type, o.error_code, o.crm_id))),
    ...openOwners.filter((o) => ownersSeen.get(o.crm_owner_id!) === true),
  ].map((o) => o.id);
  if (gone.length) await tx.query('UPDATE error_log SET resolved_at = now() WHERE id = ANY($1::bigint[])', [gone]);

  const logged = new Set(openOwners.map((o) => o.crm_owner_id));
  const unlinked = [...ownersSeen].filter(([id, linked]) => !linked && !logged.has(id)).map(([id]) => id);
  if (unlinked.length)
    await tx.query(
      `INSERT INTO error_log (workspace_id, crm, job_type, object_kind, crm_owner_id, error_code, message)
       SELECT $1, $2, 'owner-sync', $3, o.id, 'OWNER_NOT_LINKED', o.message
         FROM jsonb_to_recordset($4::jsonb) AS o(id text, message text)
       ON CONFLICT (workspace_id, crm, object_kind, crm_owner_id)
         WHERE job_type = 'owner-sync' AND error_code = 'OWNER_NOT_LINKED' AND resolved_at IS NULL
       DO NOTHING`,
      [workspaceId, crm, kind, JSON.stringify(unlinked.map((id) => ({ id, message: unlinkedOwnerMessage(id) })))],
    );

  const openMessages = new Map(openRecords.map((o) => [key(o.job_type, o.error_code, o.crm_id), o.message]));
  const fresh = errors.filter((e) => openMessages.get(key(e.job_type, e.code, e.crm_id)) !== e.message);
  if (!fresh.length) return;
  await tx.query(
    `INSERT INTO error_log (workspace_id, crm, job_type, object_kind, local_id, crm_id, error_code, message)
     SELECT $1, $3, e.job_type, $4, e.local_id, e.crm_id, e.code, e.message
       FROM jsonb_to_recordset($2::jsonb) AS e(job_type text, local_id uuid, crm_id text, code text, message text)
     ON CONFLICT (workspace_id, crm, job_type, object_kind, crm_id, error_code)
       WHERE job_type IN ('pull', 'owner-sync') AND resolved_at IS NULL
     DO UPDATE SET message = EXCLUDED.message, local_id = EXCLUDED.local_id, occurred_at = now()`,
    [workspaceId, JSON.stringify(fresh), crm, kind],
  );
}

/** At the end of a run: an unlinked owner's entry whose records all have another owner now is resolved. */
async function resolveOwnerlessEntries(tx: Queryable, workspaceId: string, crm: CrmName, kind: ObjectKind) {
  await tx.query(
    `UPDATE error_log e SET resolved_at = now()
      WHERE e.workspace_id = $1 AND e.crm = $2 AND e.object_kind = $3 AND e.job_type = 'owner-sync'
        AND e.error_code = 'OWNER_NOT_LINKED' AND e.resolved_at IS NULL AND e.crm_owner_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM crm_links l WHERE l.workspace_id = e.workspace_id AND l.crm = e.crm
                           AND l.object_kind = e.object_kind AND l.crm_owner_id = e.crm_owner_id)`,
    [workspaceId, crm, kind],
  );
}

/**
 * At the end of a stream's run: enrichment updates of linked records this pull did not see (the
 * CRM did not change them) are decided against the CRM values last known, as auto-fill and
 * auto-overwrite "run only when pulling" (seed 002); left undecided they would wait for ever.
 */
async function settleEnrichment(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  kind: ObjectKind,
  crmObject: string,
  rules: ReconcileContext,
): Promise<void> {
  if (!rules.mapping.length) return;
  const table = TABLE[kind];
  const { rows } = await tx.query<ExistingRow>(
    `SELECT l.crm_id, l.local_id, l.crm_object, l.crm_owner_id, l.parent_crm_id, t.owner_user_id, l.crm_modified_at,
            to_jsonb(t) AS record, l.field_sync
       FROM crm_links l JOIN ${table} t ON t.id = l.local_id
      WHERE l.workspace_id = $1 AND l.crm = $2 AND l.object_kind = $3 AND l.crm_object = $4
        AND EXISTS (SELECT 1 FROM jsonb_each(t.ws_changes) e
                     WHERE e.value->>'kind' = 'enrichment' AND NOT (e.value ? 'approved'))
      FOR UPDATE OF l, t`,
    [workspaceId, crm, kind, crmObject],
  );
  const approved: string[] = [];
  for (const row of rows) {
    const stored = storedOf(row);
    // Only the undecided enrichment fields, each at the CRM value the link last knew.
    const known: PulledRecord = {
      crmId: row.crm_id,
      crmObject,
      columns: {},
      custom: {},
      crmOwnerId: null,
      parentCrmId: null,
      modifiedAt: '',
    };
    for (const m of rules.mapping) {
      const change = stored.wsChanges[m.localField];
      const sync = stored.fieldSync[m.localField];
      if (!change || change.kind !== 'enrichment' || change.approved || !sync || change.at <= sync.st) continue;
      if (m.localField.startsWith('custom.')) known.custom[m.localField.slice('custom.'.length)] = sync.v;
      else known.columns[m.localField] = sync.v;
    }
    const r = reconcileRecord({ ...rules, readAt: rules.nowMs }, stored, known, null);
    const names = Object.keys(r.columns);
    await tx.query(
      `UPDATE ${table} SET custom = custom || $3::jsonb, ws_changes = ws_changes || $4::jsonb,
         field_origin = field_origin || $5::jsonb${names.map((n, i) => `, ${n} = $${i + 6}`).join('')}
        WHERE workspace_id = $1 AND id = $2`,
      [
        workspaceId,
        row.local_id,
        JSON.stringify(r.custom),
        JSON.stringify(r.wsChanges),
        JSON.stringify(r.origin),
        ...names.map((n) => r.columns[n]),
      ],
    );
    await tx.query(
      `UPDATE crm_links SET field_sync = $5::jsonb WHERE workspace_id = $1 AND crm = $2 AND object_kind = $3 AND crm_id = $4`,
      [workspaceId, crm, kind, row.crm_id, JSON.stringify(r.fieldSync)],
    );
    if (Object.keys(r.wsChanges).length) approved.push(row.local_id);
  }
  if (approved.length) await enqueuePush(tx, workspaceId, kind, approved, { crm });
}

/** A locked row as the ownership rules read it. */
function storedOf(row: ExistingRow): StoredRecord {
  const { custom, ws_changes, ...columns } = row.record as Record<string, unknown> & {
    custom?: Record<string, unknown>;
    ws_changes?: StoredRecord['wsChanges'];
  };
  return { columns, custom: custom ?? {}, wsChanges: ws_changes ?? {}, fieldSync: row.field_sync ?? {} };
}

async function ownerContext(tx: Queryable, workspaceId: string, crm: CrmName, kind: ObjectKind, syncUserId: string) {
  // One statement a page rather than two: each is a round trip to the one database session.
  const { rows } = await tx.query<{ links: Record<string, string>; permissions: string[] | null }>(
    `SELECT (SELECT coalesce(jsonb_object_agg(crm_owner_id, user_id), '{}'::jsonb) FROM user_crm_owner_links
              WHERE workspace_id = $1 AND crm = $2) AS links,
            (SELECT permissions FROM users WHERE id = $3) AS permissions`,
    [workspaceId, crm, syncUserId],
  );
  const ctx: OwnerContext = {
    kind,
    ownerLinks: new Map(Object.entries(rows[0].links)),
    syncUserPermissions: new Set(rows[0].permissions ?? []),
  };
  return { ctx };
}

/** Contacts point at their account through the CRM association; either side may arrive first. */
async function resolveAccounts(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  kind: ObjectKind,
  crmIds: string[],
): Promise<void> {
  const pageSide = kind === 'contact' ? 'lc' : 'la';
  await tx.query(
    `UPDATE contacts c SET account_id = la.local_id
       FROM crm_links lc JOIN crm_links la
         ON la.workspace_id = lc.workspace_id AND la.crm = lc.crm AND la.object_kind = 'account' AND la.crm_id = lc.parent_crm_id
      WHERE lc.workspace_id = $1 AND lc.crm = $2 AND lc.object_kind = 'contact' AND lc.local_id = c.id
        AND ${pageSide}.crm_id = ANY($3) AND c.account_id IS DISTINCT FROM la.local_id`,
    [workspaceId, crm, crmIds],
  );
}

/**
 * Duplicates in the CRM are mirrored, never merged; the workspace flags them (seed 002). Only rows
 * whose flag changes are written: on a re-pull nearly none do, and a write is a new row version.
 */
export async function flagDuplicates(
  tx: Queryable,
  workspaceId: string,
  kind: ObjectKind,
  localIds: string[],
): Promise<void> {
  const [table, key] = kind === 'contact' ? ['contacts', 'email_key'] : ['accounts', 'domain_key'];
  // Per key of the page, at most two rows are counted (through the key's index).
  await tx.query(
    `WITH k AS (SELECT DISTINCT ${key} AS k FROM ${table}
                 WHERE workspace_id = $1 AND id = ANY($2::uuid[]) AND ${key} IS NOT NULL),
          d AS (SELECT k.k, (SELECT count(*) FROM (SELECT 1 FROM ${table} o
                  WHERE o.workspace_id = $1 AND o.${key} = k.k AND o.crm_removed IS NULL LIMIT 2) two) > 1 AS dup FROM k)
     UPDATE ${table} t SET potential_duplicate = d.dup AND t.crm_removed IS NULL FROM d
      WHERE t.workspace_id = $1 AND t.${key} = d.k AND t.potential_duplicate IS DISTINCT FROM (d.dup AND t.crm_removed IS NULL)`,
    [workspaceId, localIds],
  );
}

/**
 * The whole workspace's duplicate flags at once, at the end of a full run: cheaper than a page at a
 * time (a tenth of an initial pull's database time), and a full run has read every CRM record.
 */
async function flagAllDuplicates(tx: Queryable, workspaceId: string, kind: ObjectKind): Promise<void> {
  const [table, key] = kind === 'contact' ? ['contacts', 'email_key'] : ['accounts', 'domain_key'];
  await tx.query(
    `UPDATE ${table} t SET potential_duplicate = d.dup
       FROM (SELECT id, ${key} IS NOT NULL AND crm_removed IS NULL
                    AND count(*) FILTER (WHERE crm_removed IS NULL) OVER (PARTITION BY ${key}) > 1 AS dup
               FROM ${table} WHERE workspace_id = $1) d
      WHERE t.workspace_id = $1 AND t.id = d.id AND t.potential_duplicate IS DISTINCT FROM d.dup`,
    [workspaceId],
  );
}
