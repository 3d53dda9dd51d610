import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FieldMappingEntry } from '../src/domain/field-mapping';
import { openDb, type Db } from '../src/store/db';
import { applyPullPage, beginPullRun, type PageRules, type PulledRecord } from '../src/store/pull-store';
import { outboxCounts } from '../src/store/push-store';
import { updateContact } from '../src/store/workspace-writes';
import { ensureWorkspace, upsertUser } from '../src/store/workspace-store';

/**
 * The ownership rules through the store: what a pull page writes next to workspace changes, and
 * what the end of a run decides for enrichment updates the CRM did not touch (seed 002).
 */
describe('field ownership in the store (PGlite)', () => {
  let db: Db;
  let seq = 0;
  before(async () => {
    db = await openDb();
    await ensureWorkspace(db, 'fo', 'paid');
    await upsertUser(db, { id: 'fo-sync', workspaceId: 'fo', email: 'sync@fo.example', name: 'Sync' });
    await db.query(
      `INSERT INTO integrations (workspace_id, crm, connection, sync_user_id) VALUES ('fo', 'hubspot', 'fo', 'fo-sync')`,
    );
  });
  after(async () => db?.close());

  const title = (o: Partial<FieldMappingEntry> = {}): FieldMappingEntry[] => [
    { crmField: 'email', localField: 'email', direction: 'both' },
    { crmField: 'jobtitle', localField: 'title', direction: 'both', ...o },
  ];
  const rules = (mapping: FieldMappingEntry[], readAt = Date.now()): PageRules => ({
    mapping,
    direction: 'bidirectional',
    crmPrecisionMs: 1,
    readAt,
  });
  const record = (crmId: string, t: string, modifiedAt: string): PulledRecord => ({
    crmId,
    crmObject: 'contacts',
    columns: { email: `${crmId}@fo.example`, title: t },
    custom: {},
    crmOwnerId: null,
    parentCrmId: null,
    modifiedAt,
  });
  /** One pull run of one page; `records` may be empty (the CRM changed nothing). */
  async function pull(records: PulledRecord[], r: PageRules) {
    const run = await beginPullRun(db, {
      runKey: `fo-${++seq}`,
      workspaceId: 'fo',
      crm: 'hubspot',
      kind: seq === 1 ? 'initial' : 'recurring',
      objectKind: 'contact',
      stream: 'contacts',
      nowMs: Date.now(),
    });
    const counts = await applyPullPage(db, {
      runId: run.id,
      expectedCursor: null,
      records,
      nextCursor: null,
      syncUserId: 'fo-sync',
      rules: r,
    });
    assert.notEqual(counts, 'stale');
  }
  const local = async (crmId: string) =>
    (
      await db.query<{ id: string; title: string | null; field_origin: Record<string, { rule: string }> }>(
        `SELECT c.id, c.title, c.field_origin FROM contacts c JOIN crm_links l ON l.local_id = c.id
          WHERE l.workspace_id = 'fo' AND l.crm_id = $1`,
        [crmId],
      )
    ).rows[0];
  const clearOutbox = () => db.query(`DELETE FROM push_outbox WHERE workspace_id = 'fo'`);

  it('a page read before a workspace edit leaves the edit, and a later CRM change of a workspace-owned field does not win', async () => {
    await pull([record('c1', 'CTO', '2026-01-01T00:00:00.000Z')], rules(title()));
    const { id } = (await local('c1'))!;
    const readAt = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    await updateContact(db, 'fo', id, { title: 'VP Sales' });
    // The page read before the edit still says CTO: the edit stays.
    await pull([record('c1', 'CTO', '2026-01-01T00:00:00.000Z')], rules(title(), readAt));
    assert.equal((await local('c1'))!.title, 'VP Sales');
    assert.equal((await local('c1'))!.field_origin.title.rule, 'workspace-pending');
    // The CRM changes it too before the push: title is workspace-owned, so the edit still stays.
    await pull([record('c1', 'Founder', new Date().toISOString())], rules(title()));
    assert.equal((await local('c1'))!.title, 'VP Sales');
    assert.equal((await local('c1'))!.field_origin.title.rule, 'conflict-workspace-owned');
    await clearOutbox();
  });

  it('an enrichment update the CRM did not touch: reverted without auto-overwrite, queued for push with it', async () => {
    await pull([record('c2', 'Buyer', '2026-01-01T00:00:00.000Z')], rules(title()));
    const { id } = (await local('c2'))!;
    await updateContact(db, 'fo', id, { title: 'Head of Buying' }, null, 'enrichment');
    await clearOutbox();
    // The next pull sees no change of c2; its end decides the enrichment update.
    await pull([], rules(title()));
    assert.equal((await local('c2'))!.title, 'Buyer', 'without auto-overwrite the CRM value stays');
    assert.equal((await local('c2'))!.field_origin.title.rule, 'enrichment-not-applied');
    assert.equal((await outboxCounts(db, 'fo', 'hubspot')).due, 0);

    await updateContact(db, 'fo', id, { title: 'Head of Buying' }, null, 'enrichment');
    await clearOutbox();
    await pull([], rules(title({ autoOverwrite: true })));
    assert.equal((await local('c2'))!.title, 'Head of Buying', 'auto-overwrite keeps it');
    assert.equal((await local('c2'))!.field_origin.title.rule, 'auto-overwrite');
    assert.equal((await outboxCounts(db, 'fo', 'hubspot')).due, 1, 'and queues it for the push');
    await clearOutbox();
  });

  it('an enrichment update never replaces a manual edit not pushed yet', async () => {
    await pull([record('c3', 'Analyst', '2026-01-01T00:00:00.000Z')], rules(title()));
    const { id } = (await local('c3'))!;
    await updateContact(db, 'fo', id, { title: 'Director' });
    await updateContact(db, 'fo', id, { title: 'Enriched title' }, null, 'enrichment');
    assert.equal((await local('c3'))!.title, 'Director', 'manual has the last word');
    await clearOutbox();
  });
});
