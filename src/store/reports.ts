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
}

export async function errorLog(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  opts: { jobType?: string; limit?: number } = {},
): Promise<ErrorLogRow[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT id, job_type, object_kind, local_id, crm_id, error_code, message, occurred_at, field, attempts, same_as_before, resolved_at FROM error_log
      WHERE workspace_id = $1 AND crm = $2 AND ($3::text IS NULL OR job_type = $3)
      ORDER BY occurred_at DESC, id DESC LIMIT $4`,
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
  }));
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
