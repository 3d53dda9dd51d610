import type { Db, Queryable } from './db';

/**
 * Ordered, append-only. Each runs once, in a transaction, recorded in schema_migrations.
 * Plain SQL that PGlite and PostgreSQL both accept.
 */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'workspace, users, records, links, pulls, errors',
    sql: `
      CREATE TABLE workspaces (
        id text PRIMARY KEY,
        plan text NOT NULL CHECK (plan IN ('free', 'paid')),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE users (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id),
        email text NOT NULL,
        name text NOT NULL,
        -- e.g. 'assign contact owner', 'assign account owner' (seed 001 permission profiles)
        permissions text[] NOT NULL DEFAULT '{}'
      );
      -- A user's personal CRM identity: pulled CRM owners resolve to workspace users through this.
      CREATE TABLE user_crm_owner_links (
        workspace_id text NOT NULL REFERENCES workspaces(id),
        crm text NOT NULL,
        crm_owner_id text NOT NULL,
        user_id text NOT NULL REFERENCES users(id),
        PRIMARY KEY (workspace_id, crm, crm_owner_id)
      );
      CREATE TABLE integrations (
        workspace_id text NOT NULL REFERENCES workspaces(id),
        crm text NOT NULL,
        connection text NOT NULL,
        sync_user_id text NOT NULL REFERENCES users(id),
        crm_account_id text,
        connected_at timestamptz,
        PRIMARY KEY (workspace_id, crm)
      );
      CREATE TABLE crm_owners (
        workspace_id text NOT NULL,
        crm text NOT NULL,
        crm_owner_id text NOT NULL,
        email text,
        name text NOT NULL,
        PRIMARY KEY (workspace_id, crm, crm_owner_id)
      );
      CREATE TABLE contacts (
        id uuid PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id),
        email text,
        email_key text GENERATED ALWAYS AS (lower(btrim(email))) STORED,
        first_name text,
        last_name text,
        title text,
        phone text,
        stage text,
        email_status text,
        account_id uuid,
        owner_user_id text,
        custom jsonb NOT NULL DEFAULT '{}',
        potential_duplicate boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX contacts_email_key ON contacts (workspace_id, email_key);
      CREATE TABLE accounts (
        id uuid PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id),
        name text,
        domain text,
        domain_key text GENERATED ALWAYS AS (lower(btrim(domain))) STORED,
        phone text,
        industry text,
        stage text,
        owner_user_id text,
        custom jsonb NOT NULL DEFAULT '{}',
        potential_duplicate boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX accounts_domain_key ON accounts (workspace_id, domain_key);
      -- local id <-> CRM id per object kind; the CRM's view of owner and parent as last pulled.
      CREATE TABLE crm_links (
        workspace_id text NOT NULL,
        crm text NOT NULL,
        object_kind text NOT NULL CHECK (object_kind IN ('contact', 'account')),
        crm_object text NOT NULL,
        crm_id text NOT NULL,
        local_id uuid NOT NULL,
        crm_owner_id text,
        parent_crm_id text,
        crm_modified_at text,
        linked_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, crm, object_kind, crm_id),
        UNIQUE (workspace_id, crm, object_kind, local_id)
      );
      -- Where the next incremental pull of one CRM stream starts.
      CREATE TABLE pull_cursors (
        workspace_id text NOT NULL,
        crm text NOT NULL,
        stream text NOT NULL,
        since_ms bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, crm, stream)
      );
      -- Pull history: one row per pull run and CRM stream. cursor/done make a run resumable:
      -- each page moves them in the same transaction that writes the page.
      CREATE TABLE pull_runs (
        id uuid PRIMARY KEY,
        run_key text NOT NULL UNIQUE,
        workspace_id text NOT NULL,
        crm text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('initial', 'recurring', 'manual')),
        object_kind text NOT NULL,
        stream text NOT NULL,
        since_ms bigint,
        until_ms bigint NOT NULL,
        total_estimate integer,
        cursor text,
        done boolean NOT NULL DEFAULT false,
        pages integer NOT NULL DEFAULT 0,
        seen integer NOT NULL DEFAULT 0,
        created integer NOT NULL DEFAULT 0,
        updated integer NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      );
      CREATE INDEX pull_runs_by_workspace ON pull_runs (workspace_id, crm, started_at);
      CREATE TABLE error_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id text NOT NULL,
        crm text NOT NULL,
        job_type text NOT NULL,
        object_kind text,
        local_id uuid,
        crm_id text,
        error_code text NOT NULL,
        message text NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX error_log_by_workspace ON error_log (workspace_id, crm, occurred_at);
    `,
  },
  {
    version: 2,
    name: 'pull runs count owner changes and logged errors',
    // The run row is the one place a pull's counts survive a killed worker, so it holds them all.
    sql: `
      ALTER TABLE pull_runs ADD COLUMN owner_changes integer NOT NULL DEFAULT 0;
      ALTER TABLE pull_runs ADD COLUMN errors integer NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 3,
    name: 'push outbox, push errors that can be retried and resolved',
    sql: `
      -- Transactional outbox: a workspace write adds a row here in its own transaction, one per
      -- connected CRM. A row leaves only when the CRM's answer is recorded (link or error log), so
      -- a worker killed mid-push leaves it to be pushed again, idempotently.
      CREATE TABLE push_outbox (
        workspace_id text NOT NULL,
        crm text NOT NULL,
        object_kind text NOT NULL CHECK (object_kind IN ('contact', 'account')),
        local_id uuid NOT NULL,
        -- manual pushes override the push conditions (seed 001, "Push Records Manually")
        manual boolean NOT NULL DEFAULT false,
        -- whose CRM owner a created record gets; null = the sync user's
        requested_by text,
        attempts integer NOT NULL DEFAULT 0,
        not_before timestamptz NOT NULL DEFAULT now(),
        enqueued_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, crm, object_kind, local_id)
      );
      CREATE INDEX push_outbox_due ON push_outbox (workspace_id, crm, not_before);
      ALTER TABLE error_log ADD COLUMN field text;
      ALTER TABLE error_log ADD COLUMN record jsonb;
      -- 'rejected' (the CRM refused the record: fix data or mapping) or 'transient' (retried by itself)
      ALTER TABLE error_log ADD COLUMN cause text;
      ALTER TABLE error_log ADD COLUMN attempts integer NOT NULL DEFAULT 1;
      ALTER TABLE error_log ADD COLUMN same_as_before boolean NOT NULL DEFAULT false;
      ALTER TABLE error_log ADD COLUMN resolved_at timestamptz;
      -- One open push error per record: a repeat updates it (and says so) instead of piling up rows.
      CREATE UNIQUE INDEX error_log_open_push ON error_log (workspace_id, crm, object_kind, local_id)
        WHERE job_type = 'push' AND resolved_at IS NULL;
      ALTER TABLE contacts ADD COLUMN created_by text;
      ALTER TABLE accounts ADD COLUMN created_by text;
    `,
  },
  {
    version: 4,
    name: 'push batches: counts committed with their outcomes',
    sql: `
      -- One row per push batch, written in the transaction that records its outcomes. A batch
      -- activity retried after that commit (the worker died before Temporal heard the result) finds
      -- its row and reports these counts instead of taking the next rows, so no batch's counts are
      -- lost and status totals stay exact across crashes.
      CREATE TABLE push_batches (
        batch_key text PRIMARY KEY,
        workspace_id text NOT NULL,
        crm text NOT NULL,
        handled integer NOT NULL,
        linked integer NOT NULL,
        created integer NOT NULL,
        rejected integer NOT NULL,
        transient integer NOT NULL,
        skipped integer NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX push_batches_recent ON push_batches (workspace_id, crm, finished_at);
    `,
  },
  {
    version: 5,
    name: 'field ownership: workspace changes, CRM field state, outbox versions',
    sql: `
      -- Lead status is CRM-owned and pulled (seed 000); HubSpot hs_lead_status, Salesforce Lead.Status.
      ALTER TABLE contacts ADD COLUMN lead_status text;
      -- Per field: the workspace's last own write {at, kind[, approved]} (field-ownership.ts), and
      -- who wrote the current value {by, at, rule}, for explain.
      ALTER TABLE contacts ADD COLUMN ws_changes jsonb NOT NULL DEFAULT '{}';
      ALTER TABLE contacts ADD COLUMN field_origin jsonb NOT NULL DEFAULT '{}';
      ALTER TABLE accounts ADD COLUMN ws_changes jsonb NOT NULL DEFAULT '{}';
      ALTER TABLE accounts ADD COLUMN field_origin jsonb NOT NULL DEFAULT '{}';
      -- Per field of one link: the CRM value as last known, its change time, the settled workspace
      -- change and the last push time (FieldSync).
      ALTER TABLE crm_links ADD COLUMN field_sync jsonb NOT NULL DEFAULT '{}';
      -- Bumped each time a write re-arms the row: a push removes the row only if no write came
      -- while it was pushing, so that write is pushed too.
      ALTER TABLE push_outbox ADD COLUMN seq bigint NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 6,
    name: 'workspace lists: the sync scope of pushes',
    sql: `
      -- Named lists of workspace contacts or accounts. A push scope (push.scope.lists) names lists
      -- by id, and only their members are pushed as net-new records.
      CREATE TABLE lists (
        workspace_id text NOT NULL REFERENCES workspaces(id),
        id text NOT NULL,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('contact', 'account')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, id)
      );
      CREATE TABLE list_members (
        workspace_id text NOT NULL,
        list_id text NOT NULL,
        local_id uuid NOT NULL,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, list_id, local_id),
        FOREIGN KEY (workspace_id, list_id) REFERENCES lists (workspace_id, id) ON DELETE CASCADE
      );
      -- The push asks which lists each record of a batch is in.
      CREATE INDEX list_members_by_record ON list_members (workspace_id, local_id);
    `,
  },
  {
    version: 7,
    name: 'one open pull error per record and cause',
    sql: `
      -- A record the CRM keeps sending with the same problem (an owner linked to nobody, an invalid
      -- email) had a new row on every pull. Now it has one open row per record and code, resolved
      -- when a pull finds the record without it; older copies are closed here.
      UPDATE error_log e SET resolved_at = now()
        WHERE e.job_type IN ('pull', 'owner-sync') AND e.resolved_at IS NULL AND EXISTS (
          SELECT 1 FROM error_log n WHERE n.workspace_id = e.workspace_id AND n.crm = e.crm
            AND n.job_type = e.job_type AND n.object_kind IS NOT DISTINCT FROM e.object_kind
            AND n.crm_id IS NOT DISTINCT FROM e.crm_id AND n.error_code = e.error_code
            AND n.resolved_at IS NULL AND n.id > e.id);
      CREATE UNIQUE INDEX error_log_open_pull ON error_log (workspace_id, crm, job_type, object_kind, crm_id, error_code)
        WHERE job_type IN ('pull', 'owner-sync') AND resolved_at IS NULL;
    `,
  },
  {
    version: 8,
    name: 'push wake-ups',
    sql: `
      -- Set by the workspace write that signalled an integration, cleared by the push batch that
      -- then reads the outbox: later writes signal only once the push has looked (push-wakeups.ts).
      CREATE TABLE push_wakeups (
        workspace_id text NOT NULL,
        crm text NOT NULL,
        pending boolean NOT NULL,
        PRIMARY KEY (workspace_id, crm)
      );
    `,
  },
  {
    version: 9,
    name: 'one open owner-sync entry per CRM owner linked to no user',
    sql: `
      -- A CRM owner linked to no workspace user had an entry per record it owns: 50,000 identical
      -- lines for a portal whose owners are nobody's. Now the owner has one open entry (crm_owner_id,
      -- crm_id null); its records are the links that carry that owner (reports.ts counts them). The
      -- per-record entries open now become one per owner, and are closed.
      ALTER TABLE error_log ADD COLUMN crm_owner_id text;
      INSERT INTO error_log (workspace_id, crm, job_type, object_kind, crm_owner_id, error_code, message, occurred_at)
        SELECT e.workspace_id, e.crm, 'owner-sync', e.object_kind, l.crm_owner_id, 'OWNER_NOT_LINKED',
               'CRM owner ' || l.crm_owner_id || ' is linked to no workspace user; owner left unchanged', min(e.occurred_at)
          FROM error_log e JOIN crm_links l ON l.workspace_id = e.workspace_id AND l.crm = e.crm
                AND l.object_kind = e.object_kind AND l.crm_id = e.crm_id
         WHERE e.job_type = 'owner-sync' AND e.error_code = 'OWNER_NOT_LINKED' AND e.resolved_at IS NULL
           AND l.crm_owner_id IS NOT NULL
         GROUP BY e.workspace_id, e.crm, e.object_kind, l.crm_owner_id;
      UPDATE error_log SET resolved_at = now()
        WHERE job_type = 'owner-sync' AND error_code = 'OWNER_NOT_LINKED' AND resolved_at IS NULL AND crm_owner_id IS NULL;
      CREATE UNIQUE INDEX error_log_open_owner ON error_log (workspace_id, crm, object_kind, crm_owner_id)
        WHERE job_type = 'owner-sync' AND error_code = 'OWNER_NOT_LINKED' AND resolved_at IS NULL;
    `,
  },
  {
    version: 10,
    name: 'one rate budget per CRM account, shared by every worker',
    sql: `
      -- A CRM account's rolling-window limit, per bucket (HubSpot: general and search), as the calls
      -- granted to workers in it (domain/rate-budget.ts): [at, n] pairs in epoch ms of the database's
      -- clock, and the time before which nothing goes out after a 429.
      CREATE TABLE crm_rate_budgets (
        crm text NOT NULL,
        crm_account_id text NOT NULL,
        bucket text NOT NULL,
        max_calls integer NOT NULL,
        window_ms integer NOT NULL,
        grants jsonb NOT NULL DEFAULT '[]',
        blocked_until bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (crm, crm_account_id, bucket)
      );
      -- What the CRM last said of the account's daily allowance (Salesforce Sforce-Limit-Info), as
      -- seen by any worker; the latest observation wins, so a renewal (usage back near 0) is seen.
      CREATE TABLE crm_daily_usage (
        crm text NOT NULL,
        crm_account_id text NOT NULL,
        used bigint NOT NULL,
        limit_calls bigint NOT NULL,
        observed_at bigint NOT NULL,
        PRIMARY KEY (crm, crm_account_id)
      );
    `,
  },
  {
    version: 11,
    name: 'records removed in the CRM, and what deletion and merge sync did',
    sql: `
      -- Set on a workspace record whose CRM record was deleted or merged away while deletion / merge
      -- sync was off for its object: it stays, unlinked, and says what happened (store/removals.ts):
      -- {"crm", "how": "deleted" | "merged", "crmId", "mergedInto", "at"}.
      ALTER TABLE contacts ADD COLUMN crm_removed jsonb;
      ALTER TABLE accounts ADD COLUMN crm_removed jsonb;
      -- Counts since the integration first connected, for status (written with each removal).
      CREATE TABLE removal_counts (
        workspace_id text NOT NULL,
        crm text NOT NULL,
        deleted integer NOT NULL DEFAULT 0,
        unlinked integer NOT NULL DEFAULT 0,
        merged integer NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace_id, crm)
      );
      -- Reconciliation (store/reconcile.ts): when it last began, and the ids a running one has seen.
      ALTER TABLE integrations ADD COLUMN reconciled_at timestamptz;
      CREATE TABLE reconcile_seen (
        run_id uuid NOT NULL,
        crm_id text NOT NULL,
        PRIMARY KEY (run_id, crm_id)
      );
    `,
  },
  {
    version: 12,
    name: 'outbox rows that delete a CRM record',
    sql: `
      -- A workspace deletion of a linked record leaves a 'delete' row per CRM it was linked to: the
      -- workspace record is gone by then, so the row carries the CRM record it deletes. The push
      -- deletes it when deletion sync is on for its object, and drops the row when it is off.
      ALTER TABLE push_outbox ADD COLUMN op text NOT NULL DEFAULT 'upsert' CHECK (op IN ('upsert', 'delete'));
      ALTER TABLE push_outbox ADD COLUMN crm_id text;
      ALTER TABLE push_outbox ADD COLUMN crm_object text;
    `,
  },
];

/** The schema version a migrated database is at. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Key of the advisory lock migrations take: "crms" in ASCII; nothing else in the project takes it. */
export const MIGRATION_LOCK_KEY = 0x63726d73;

/**
 * Brings the schema up to SCHEMA_VERSION. Several processes may start at once (two workers, a
 * worker and the CLI), so each step runs in a transaction that first takes a transaction-level
 * advisory lock and then looks again at what is applied: the first process applies a migration, the
 * others wait for its commit, see it recorded and skip it. Each migration keeps its own
 * transaction. A transaction-level lock (rather than one session lock around the whole run) ends
 * with its transaction whatever happens to the process, and needs no second connection, which a
 * one-connection pool (PG_POOL_MAX=1 against pglite-socket) would not have. In embedded PGlite
 * the lock is granted at once (one session), and its transactions run one at a time anyway.
 *
 * A database whose schema has versions this code does not know was migrated by a newer release:
 * refused, so an old worker never writes to tables it does not understand.
 */
export async function migrate(db: Db): Promise<void> {
  const lock = (tx: Queryable) => tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  const appliedIn = async (tx: Queryable) => {
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    return new Set(rows.map((r) => Number(r.version)));
  };
  const pending = await db.transaction(async (tx) => {
    await lock(tx);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = await appliedIn(tx);
    const unknown = [...applied].filter((v) => !MIGRATIONS.some((m) => m.version === v));
    if (unknown.length)
      throw new Error(
        `the database schema is at version ${Math.max(...unknown)}, newer than this release knows (${SCHEMA_VERSION}): run the newer release, or a database of its own`,
      );
    return MIGRATIONS.filter((m) => !applied.has(m.version));
  });
  for (const m of pending) {
    await db.transaction(async (tx) => {
      await lock(tx);
      // Another process may have applied it while this one waited for the lock.
      if ((await appliedIn(tx)).has(m.version)) return;
      for (const stmt of m.sql
        .split(/;\s*\n/)
        .map((s) => s.trim())
        .filter(Boolean))
        await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    });
  }
}
