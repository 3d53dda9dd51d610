import type { CrmName } from '../domain/types';
import type { Queryable } from './db';

/** Workspaces, users, their permissions and CRM owner links, and the integration row. */

export async function ensureWorkspace(db: Queryable, id: string, plan: 'free' | 'paid'): Promise<void> {
  await db.query(
    `INSERT INTO workspaces (id, plan) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET plan = EXCLUDED.plan`,
    [id, plan],
  );
}

export interface UserInput {
  id: string;
  workspaceId: string;
  email: string;
  name: string;
  permissions?: string[];
}

export async function upsertUser(db: Queryable, u: UserInput): Promise<void> {
  await db.query(
    `INSERT INTO users (id, workspace_id, email, name, permissions) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, permissions = EXCLUDED.permissions`,
    [u.id, u.workspaceId, u.email, u.name, u.permissions ?? []],
  );
}

export async function setPermission(
  db: Queryable,
  userId: string,
  permission: string,
  granted: boolean,
): Promise<void> {
  const { affectedRows } = await db.query(
    granted
      ? `UPDATE users SET permissions = array_append(array_remove(permissions, $2), $2) WHERE id = $1`
      : `UPDATE users SET permissions = array_remove(permissions, $2) WHERE id = $1`,
    [userId, permission],
  );
  if (!affectedRows) throw new Error(`no user ${userId}`);
}

export async function linkCrmOwner(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  crmOwnerId: string,
  userId: string,
): Promise<void> {
  await db.query(
    `INSERT INTO user_crm_owner_links (workspace_id, crm, crm_owner_id, user_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (workspace_id, crm, crm_owner_id) DO UPDATE SET user_id = EXCLUDED.user_id`,
    [workspaceId, crm, crmOwnerId, userId],
  );
}

export async function getUser(
  db: Queryable,
  userId: string,
): Promise<{ id: string; workspace_id: string; permissions: string[] } | undefined> {
  const { rows } = await db.query<{ id: string; workspace_id: string; permissions: string[] }>(
    'SELECT id, workspace_id, permissions FROM users WHERE id = $1',
    [userId],
  );
  return rows[0];
}

export async function recordConnection(
  db: Queryable,
  c: { workspaceId: string; crm: CrmName; connection: string; syncUserId: string; crmAccountId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO integrations (workspace_id, crm, connection, sync_user_id, crm_account_id, connected_at)
     VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (workspace_id, crm) DO UPDATE SET connection = EXCLUDED.connection,
       sync_user_id = EXCLUDED.sync_user_id, crm_account_id = EXCLUDED.crm_account_id, connected_at = now()`,
    [c.workspaceId, c.crm, c.connection, c.syncUserId, c.crmAccountId],
  );
}

/** Owners as the CRM lists them; links to users are matched by email when none exists yet. */
export async function saveCrmOwners(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
  owners: { crmOwnerId: string; email: string | null; name: string }[],
): Promise<{ linkedByEmail: number }> {
  if (!owners.length) return { linkedByEmail: 0 };
  await db.query(
    `INSERT INTO crm_owners (workspace_id, crm, crm_owner_id, email, name)
     SELECT $1, $2, o.id, o.email, o.name FROM jsonb_to_recordset($3::jsonb) AS o(id text, email text, name text)
     ON CONFLICT (workspace_id, crm, crm_owner_id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name`,
    [workspaceId, crm, JSON.stringify(owners.map((o) => ({ id: o.crmOwnerId, email: o.email, name: o.name })))],
  );
  const { affectedRows } = await db.query(
    `INSERT INTO user_crm_owner_links (workspace_id, crm, crm_owner_id, user_id)
     SELECT o.workspace_id, o.crm, o.crm_owner_id, u.id
       FROM crm_owners o JOIN users u ON u.workspace_id = o.workspace_id AND lower(u.email) = lower(o.email)
      WHERE o.workspace_id = $1 AND o.crm = $2
     ON CONFLICT (workspace_id, crm, crm_owner_id) DO NOTHING`,
    [workspaceId, crm],
  );
  return { linkedByEmail: affectedRows };
}

/** The connection last verified for an integration and the CRM account it is bound to; undefined before its first connect. */
export async function getBinding(
  db: Queryable,
  workspaceId: string,
  crm: CrmName,
): Promise<{ connection: string; crmAccountId: string | null } | undefined> {
  const { rows } = await db.query<{ connection: string; crm_account_id: string | null }>(
    'SELECT connection, crm_account_id FROM integrations WHERE workspace_id = $1 AND crm = $2',
    [workspaceId, crm],
  );
  return rows[0] && { connection: rows[0].connection, crmAccountId: rows[0].crm_account_id };
}

/** A new connection name, verified to reach the bound account, becomes the integration's. */
export async function rebindConnection(
  db: Queryable,
  c: { workspaceId: string; crm: CrmName; connection: string; crmAccountId: string },
): Promise<void> {
  await db.query(`UPDATE integrations SET connection = $3, crm_account_id = $4 WHERE workspace_id = $1 AND crm = $2`, [
    c.workspaceId,
    c.crm,
    c.connection,
    c.crmAccountId,
  ]);
}
