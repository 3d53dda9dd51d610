import type { Db } from '../store/db';
import { ensureWorkspace, upsertUser } from '../store/workspace-store';

/**
 * The demo workspace "acme": an admin who connects the CRM (and may assign owners) and one rep per
 * sandbox owner, with the same emails, so the CRM owners link to them on connect.
 */
export async function seedDemoWorkspace(db: Db, ownerEmails: string[]): Promise<void> {
  await ensureWorkspace(db, 'acme', 'paid');
  await upsertUser(db, { id: 'u-admin', workspaceId: 'acme', email: 'admin@acme.example', name: 'Acme Admin', permissions: ['assign contact owner', 'assign account owner'] });
  for (const [i, email] of ownerEmails.entries()) {
    await upsertUser(db, { id: `u-rep${i + 1}`, workspaceId: 'acme', email, name: `Rep ${i + 1}` });
  }
}
