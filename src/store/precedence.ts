import { emailKey } from '../domain/dedup-keys';
import type { CrmName } from '../domain/types';
import type { Queryable } from './db';
import type { PulledRecord } from './pull-store';

/**
 * When a CRM holds one person as two kinds of record (Salesforce: a Lead and a Contact), the
 * workspace keeps one record, linked to the winning kind (seed 003: "Apollo always pulls the
 * contact, not the lead"). Matching is by email, and a converted lead follows its ConvertedContactId.
 * Streams declare the rule (PullStream.yieldsTo); this applies it to a page, inside the page's
 * transaction. Only contacts carry it: people have emails, and leads are people.
 */
export interface Precedence {
  /** This page's records give way to records of this CRM object. */
  yieldsTo?: string;
  /** This page's records take over workspace records linked to these CRM objects. */
  supersedes: string[];
}

interface LinkRow {
  crm_id: string;
  local_id: string;
  email_key: string | null;
}

/** Returns the records still to write; re-points or removes links as the rule says. */
export async function applyPrecedence(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  records: PulledRecord[],
  p: Precedence,
): Promise<PulledRecord[]> {
  if (!records.length) return records;
  if (p.supersedes.length) await takeOver(tx, workspaceId, crm, records, p.supersedes);
  return p.yieldsTo ? giveWay(tx, workspaceId, crm, records, p.yieldsTo) : records;
}

const linksOf = (tx: Queryable, workspaceId: string, crm: CrmName, where: string, params: unknown[]) =>
  tx.query<LinkRow>(
    `SELECT l.crm_id, l.local_id, c.email_key FROM crm_links l JOIN contacts c ON c.id = l.local_id
      WHERE l.workspace_id = $1 AND l.crm = $2 AND l.object_kind = 'contact' AND ${where}`,
    [workspaceId, crm, ...params],
  );

/** A new winning record takes over the workspace record a losing record of the same email holds. */
async function takeOver(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  records: PulledRecord[],
  losers: string[],
): Promise<void> {
  const keys = [...new Set(records.map((r) => emailKey(r.columns.email)).filter((k): k is string => !!k))];
  if (!keys.length) return;
  const { rows: own } = await linksOf(tx, workspaceId, crm, 'l.crm_id = ANY($3)', [records.map((r) => r.crmId)]);
  const linked = new Set(own.map((r) => r.crm_id));
  const { rows: candidates } = await linksOf(tx, workspaceId, crm, 'l.crm_object = ANY($3) AND c.email_key = ANY($4)', [
    losers,
    keys,
  ]);
  const byEmail = new Map<string, LinkRow[]>();
  for (const c of candidates) byEmail.set(c.email_key!, [...(byEmail.get(c.email_key!) ?? []), c]);
  for (const r of records) {
    const key = emailKey(r.columns.email);
    if (linked.has(r.crmId) || !key) continue;
    const loser = byEmail.get(key)?.shift();
    if (!loser) continue;
    await tx.query(
      `UPDATE crm_links SET crm_id = $4, crm_object = $5, linked_at = now()
        WHERE workspace_id = $1 AND crm = $2 AND object_kind = 'contact' AND crm_id = $3`,
      [workspaceId, crm, loser.crm_id, r.crmId, r.crmObject],
    );
    linked.add(r.crmId);
  }
}

/** A losing record is not written when its person is already held by a winning record. */
async function giveWay(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  records: PulledRecord[],
  winner: string,
): Promise<PulledRecord[]> {
  const keys = [...new Set(records.map((r) => emailKey(r.columns.email)).filter((k): k is string => !!k))];
  const follows = [...new Set(records.map((r) => r.followsTo).filter((id): id is string => !!id))];
  const { rows: winners } = await linksOf(
    tx,
    workspaceId,
    crm,
    'l.crm_object = $3 AND (c.email_key = ANY($4) OR l.crm_id = ANY($5))',
    [winner, keys, follows],
  );
  const byEmail = new Map(winners.filter((w) => w.email_key).map((w) => [w.email_key!, w.local_id]));
  const byId = new Map(winners.map((w) => [w.crm_id, w.local_id]));
  const { rows: own } = await linksOf(tx, workspaceId, crm, 'l.crm_id = ANY($3)', [records.map((r) => r.crmId)]);
  const ownLocal = new Map(own.map((o) => [o.crm_id, o.local_id]));

  const keep: PulledRecord[] = [];
  for (const r of records) {
    const key = emailKey(r.columns.email);
    const target = (r.followsTo && byId.get(r.followsTo)) || (key && byEmail.get(key)) || undefined;
    const mine = ownLocal.get(r.crmId);
    if (target) {
      // The person is already held by the winning record: drop this record's own mirror of them.
      if (mine && mine !== target) {
        await tx.query(
          `DELETE FROM crm_links WHERE workspace_id = $1 AND crm = $2 AND object_kind = 'contact' AND crm_id = $3`,
          [workspaceId, crm, r.crmId],
        );
        await tx.query('DELETE FROM contacts WHERE id = $1 AND workspace_id = $2', [mine, workspaceId]);
      }
      continue;
    }
    if (r.followsTo && mine) {
      // Converted, and its contact not pulled yet: the workspace record moves to the contact now.
      await tx.query(
        `UPDATE crm_links SET crm_id = $4, crm_object = $5, linked_at = now()
          WHERE workspace_id = $1 AND crm = $2 AND object_kind = 'contact' AND crm_id = $3`,
        [workspaceId, crm, r.crmId, r.followsTo, winner],
      );
      continue;
    }
    keep.push(r);
  }
  return keep;
}
