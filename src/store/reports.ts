import type { CrmName } from '../domain/types';
import type { Queryable } from './db';

/** Read models for the CLI and the status query: pull history, error log, counts. */

export interface PullHistoryRow {
  id: string;
  kind: string;
  objectKind: string;
  stream: string;
  startedAt: Date;
  finishedAt: Date | null;
  seen: number;
  created: number;
  updated: number;
}

export async function pullHistory(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  limit = 100,
): Promise<PullHistoryRow[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT id, kind, object_kind, stream, started_at, finished_at, seen, created, updated FROM pull_runs
      WHERE workspace_id = $1 AND crm = $2 ORDER BY started_at DESC, stream LIMIT $3`,
    [workspaceId, crm, limit],
  );
  return rows.map((r) => ({
    id: String(r.id),
    kind: String(r.kind),
    objectKind: String(r.object_kind),
    stream: String(r.stream),
    startedAt: r.started_at as Date,
    finishedAt: (r.finished_at as Date | null) ?? null,
    seen: Number(r.seen),
    created: Number(r.created),
    updated: Number(r.updated),
  }));
}

export interface ErrorLogRow {
  id: number;
  jobType: string;
  objectKind: string | null;
  localId: string | null;
  crmId: string | null;
  errorCode: string;
  message: string;
  occurredAt: Date;
  field: string | null;
  attempts: number;
  sameAsBefore: boolean;
  resolvedAt: Date | null;
  /** An owner-sync entry of a CRM owner linked to no workspace user: that owner. */
  crmOwnerId: string | null;
  /** Its records while open: the links carrying that owner (unlinkedOwnerRecords lists them). */
  records: number | null;
}

export async function errorLog(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  opts: { jobType?: string; limit?: number } = {},
): Promise<ErrorLogRow[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT e.id, e.job_type, e.object_kind, e.local_id, e.crm_id, e.error_code, e.message, e.occurred_at, e.field,
            e.attempts, e.same_as_before, e.resolved_at, e.crm_owner_id,
            CASE WHEN e.crm_owner_id IS NOT NULL AND e.resolved_at IS NULL THEN
              (SELECT count(*) FROM crm_links l WHERE l.workspace_id = e.workspace_id AND l.crm = e.crm
                  AND l.object_kind = e.object_kind AND l.crm_owner_id = e.crm_owner_id)::int END AS records
       FROM error_log e
      WHERE e.workspace_id = $1 AND e.crm = $2 AND ($3::text IS NULL OR e.job_type = $3)
      ORDER BY e.occurred_at DESC, e.id DESC LIMIT $4`,
    [workspaceId, crm, opts.jobType ?? null, opts.limit ?? 100],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    jobType: String(r.job_type),
    objectKind: (r.object_kind as string | null) ?? null,
    localId: (r.local_id as string | null) ?? null,
    crmId: (r.crm_id as string | null) ?? null,
    errorCode: String(r.error_code),
    message: String(r.message),
    occurredAt: r.occurred_at as Date,
    field: (r.field as string | null) ?? null,
    attempts: Number(r.attempts ?? 1),
    sameAsBefore: Boolean(r.same_as_before),
    resolvedAt: (r.resolved_at as Date | null) ?? null,
    crmOwnerId: (r.crm_owner_id as string | null) ?? null,
    records: r.records === null || r.records === undefined ? null : Number(r.records),
  }));
}

/** The records an unlinked CRM owner's entry stands for: the links that carry that owner. */
export async function unlinkedOwnerRecords(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  kind: 'contact' | 'account',
  crmOwnerId: string,
  limit = 1000,
): Promise<{ crmId: string; localId: string }[]> {
  const { rows } = await db.query<{ crm_id: string; local_id: string }>(
    `SELECT crm_id, local_id FROM crm_links WHERE workspace_id = $1 AND crm = $2 AND object_kind = $3 AND crm_owner_id = $4
      ORDER BY crm_id LIMIT $5`,
    [workspaceId, crm, kind, crmOwnerId, limit],
  );
  return rows.map((r) => ({ crmId: r.crm_id, localId: String(r.local_id) }));
}

export interface WorkspaceCounts {
  contacts: number;
  accounts: number;
  potentialDuplicates: number;
  errorsByJob: Record<string, number>;
}

export async function workspaceCounts(db: Queryable, workspaceId: string, crm: CrmName): Promise<WorkspaceCounts> {
  const { rows } = await db.query<{ contacts: number; accounts: number; dups: number }>(
    `SELECT (SELECT count(*) FROM contacts WHERE workspace_id = $1)::int AS contacts,
            (SELECT count(*) FROM accounts WHERE workspace_id = $1)::int AS accounts,
            ((SELECT count(*) FROM contacts WHERE workspace_id = $1 AND potential_duplicate)
              + (SELECT count(*) FROM accounts WHERE workspace_id = $1 AND potential_duplicate))::int AS dups`,
    [workspaceId],
  );
  const { rows: errs } = await db.query<{ job_type: string; n: number }>(
    `SELECT job_type, count(*)::int AS n FROM error_log WHERE workspace_id = $1 AND crm = $2 GROUP BY job_type`,
    [workspaceId, crm],
  );
  return {
    contacts: Number(rows[0].contacts),
    accounts: Number(rows[0].accounts),
    potentialDuplicates: Number(rows[0].dups),
    errorsByJob: Object.fromEntries(errs.map((e) => [e.job_type, Number(e.n)])),
  };
}

/** The workspace record linked to a CRM record, with its owner, for checks and the CLI. */
export async function findByCrmId(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  kind: 'contact' | 'account',
  crmId: string,
): Promise<{ id: string; ownerUserId: string | null; fields: Record<string, unknown> } | undefined> {
  const table = kind === 'contact' ? 'contacts' : 'accounts';
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT t.* FROM crm_links l JOIN ${table} t ON t.id = l.local_id
      WHERE l.workspace_id = $1 AND l.crm = $2 AND l.object_kind = $3 AND l.crm_id = $4`,
    [workspaceId, crm, kind, crmId],
  );
  const r = rows[0];
  return r ? { id: String(r.id), ownerUserId: (r.owner_user_id as string | null) ?? null, fields: r } : undefined;
}
