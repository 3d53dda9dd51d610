import type { Db } from '../store/db';
import { ensureWorkspace, upsertUser } from '../store/workspace-store';

/**
 * A demo workspace: an admin who connects the CRM (and may assign owners) and one rep per CRM
 * owner, with the same emails, so the CRM owners link to them on connect. User ids are
 * `<prefix>admin`, `<prefix>rep1`, ... (ids are global; workspaces must not share them).
 */
export async function seedDemoWorkspace(
  db: Db,
  workspaceId: string,
  userPrefix: string,
  ownerEmails: string[],
): Promise<void> {
  await ensureWorkspace(db, workspaceId, 'paid');
  await upsertUser(db, {
    id: `${userPrefix}admin`,
    workspaceId,
    email: `admin@${workspaceId}.example`,
    name: `${workspaceId} admin`,
    permissions: ['assign contact owner', 'assign account owner'],
  });
  for (const [i, email] of ownerEmails.entries()) {
    await upsertUser(db, { id: `${userPrefix}rep${i + 1}`, workspaceId, email, name: `Rep ${i + 1}` });
  }
}
