import type { CrmName, ObjectKind } from '../domain/types';
import type { Queryable } from './db';

/** One email (contacts) or domain (accounts) that several workspace records hold: open potential duplicates. */
export interface DuplicateGroup {
  kind: ObjectKind;
  /** The email or domain, as the duplicate check compares it (lower case). */
  key: string;
  records: { id: string; links: { crm: CrmName; crmId: string; crmObject: string }[] }[];
}

/**
 * The records flagged as potential duplicates (seed 002: flagged on pull, never merged by the sync),
 * grouped by the key they share, with the CRM records each is linked to, so an operator can merge
 * them in the CRM (merge sync folds them) or in the workspace (`contacts merge`).
 */
export async function openDuplicates(db: Queryable, workspaceId: string): Promise<DuplicateGroup[]> {
  const { rows } = await db.query<{
    kind: ObjectKind;
    key: string;
    id: string;
    crm: CrmName | null;
    crm_id: string | null;
    crm_object: string | null;
  }>(
    `SELECT t.kind, t.key, t.id, l.crm, l.crm_id, l.crm_object FROM (
         SELECT 'contact' AS kind, email_key AS key, id, workspace_id, created_at FROM contacts
          WHERE workspace_id = $1 AND potential_duplicate AND email_key IS NOT NULL
         UNION ALL
         SELECT 'account', domain_key, id, workspace_id, created_at FROM accounts
          WHERE workspace_id = $1 AND potential_duplicate AND domain_key IS NOT NULL) t
       LEFT JOIN crm_links l ON l.workspace_id = t.workspace_id AND l.object_kind = t.kind AND l.local_id = t.id
      ORDER BY t.kind = 'account', t.key, t.created_at, t.id, l.crm, l.crm_id`,
    [workspaceId],
  );
  const groups = new Map<string, DuplicateGroup>();
  for (const r of rows) {
    const g = groups.get(`${r.kind}:${r.key}`) ?? { kind: r.kind, key: r.key, records: [] };
    groups.set(`${r.kind}:${r.key}`, g);
    let rec = g.records.find((x) => x.id === r.id);
    if (!rec) g.records.push((rec = { id: r.id, links: [] }));
    if (r.crm && r.crm_id && r.crm_object) rec.links.push({ crm: r.crm, crmId: r.crm_id, crmObject: r.crm_object });
  }
  return [...groups.values()];
}
