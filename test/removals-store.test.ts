import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/store/db';
import { applyPullPage, beginPullRun, type PulledRecord } from '../src/store/pull-store';
import { removalTotals, type Removal, type RemovalRules } from '../src/store/removals';
import { ensureWorkspace, upsertUser } from '../src/store/workspace-store';

/**
 * CRM removals applied with a pull page (issue 14 items 1, 3, 5), through the store on a real
 * database: each setting on and off, merges into a linked survivor and relinks to an unlinked one,
 * repeats that change nothing, and the potential-duplicate flags a removal clears.
 */
describe('CRM removals in the store (PGlite)', () => {
  let db: Db;
  let seq = 0;
  let ws = 0;
  before(async () => {
    db = await openDb();
  });
  after(async () => db?.close());

  async function workspace(): Promise<string> {
    const id = `rm${++ws}`;
    await ensureWorkspace(db, id, 'paid');
    await upsertUser(db, { id: `${id}-sync`, workspaceId: id, email: `sync@${id}.example`, name: 'Sync' });
    await db.query(
      `INSERT INTO integrations (workspace_id, crm, connection, sync_user_id) VALUES ($1, 'hubspot', $1, $2)`,
      [id, `${id}-sync`],
    );
    return id;
  }

  const person = (crmId: string, email: string): PulledRecord => ({
    crmId,
    crmObject: 'contacts',
    columns: { email, first_name: `First ${crmId}`, title: crmId === 'c2' ? 'CTO' : null },
    custom: {},
    crmOwnerId: null,
    parentCrmId: null,
    modifiedAt: new Date().toISOString(),
  });

  async function pull(
    workspaceId: string,
    records: PulledRecord[],
    removals: Removal[] = [],
    removalRules: RemovalRules = {},
  ) {
    const run = await beginPullRun(db, {
      runKey: `rm-${++seq}`,
      workspaceId,
      crm: 'hubspot',
      kind: records.length && !removals.length ? 'initial' : 'recurring',
      objectKind: 'contact',
      stream: 'contacts',
      nowMs: Date.now(),
    });
    const counts = await applyPullPage(db, {
      runId: run.id,
      expectedCursor: null,
      records,
      nextCursor: null,
      syncUserId: `${workspaceId}-sync`,
      removals,
      removalRules,
    });
    assert.notEqual(counts, 'stale');
  }

  const contacts = async (workspaceId: string) =>
    (
      await db.query<{
        id: string;
        email: string;
        title: string | null;
        potential_duplicate: boolean;
        crm_removed: unknown;
      }>(
        'SELECT id, email, title, potential_duplicate, crm_removed FROM contacts WHERE workspace_id = $1 ORDER BY email',
        [workspaceId],
      )
    ).rows;
  const links = async (workspaceId: string) =>
    (
      await db.query<{ crm_id: string; local_id: string }>(
        'SELECT crm_id, local_id FROM crm_links WHERE workspace_id = $1 ORDER BY crm_id',
        [workspaceId],
      )
    ).rows;
  const deleted = (crmId: string): Removal => ({
    crmId,
    crmObject: 'contacts',
    removedAt: '2026-12-03T10:00:00.000Z',
    mergedInto: null,
  });
  const merged = (crmId: string, into: string): Removal => ({ ...deleted(crmId), mergedInto: into });

  it('a deletion with deletion sync on deletes the workspace record; off keeps it unlinked and marked', async () => {
    const on = await workspace();
    await pull(on, [person('c1', 'a@x.example'), person('c2', 'b@x.example')]);
    await pull(on, [], [deleted('c1')], { deletion: { contacts: true } });
    assert.deepEqual(
      (await contacts(on)).map((c) => c.email),
      ['b@x.example'],
    );
    assert.deepEqual(await removalTotals(db, on, 'hubspot'), { deleted: 1, unlinked: 0, merged: 0 });

    const off = await workspace();
    await pull(off, [person('c1', 'a@x.example'), person('c2', 'b@x.example')]);
    // Deletion on for accounts only: contacts are kept.
    await pull(off, [], [deleted('c1')], { deletion: { accounts: true } });
    const kept = await contacts(off);
    assert.equal(kept.length, 2);
    assert.deepEqual((kept[0].crm_removed as { how: string; crmId: string }).how, 'deleted');
    assert.deepEqual((kept[0].crm_removed as { crmId: string }).crmId, 'c1');
    assert.deepEqual(
      (await links(off)).map((l) => l.crm_id),
      ['c2'],
    );
    assert.deepEqual(await removalTotals(db, off, 'hubspot'), { deleted: 0, unlinked: 1, merged: 0 });
  });

  it('the same removal listed again, or one of a CRM id linked to nothing, changes nothing', async () => {
    const w = await workspace();
    await pull(w, [person('c1', 'a@x.example'), person('c2', 'b@x.example')]);
    await pull(w, [], [deleted('c1'), deleted('c1'), deleted('c999')], { deletion: { contacts: true } });
    await pull(w, [], [deleted('c1')], { deletion: { contacts: true } });
    assert.equal((await contacts(w)).length, 1);
    assert.deepEqual(await removalTotals(db, w, 'hubspot'), { deleted: 1, unlinked: 0, merged: 0 });
  });

  it('a merge with merge sync on folds the loser into the survivor’s record and clears their duplicate flags', async () => {
    const w = await workspace();
    // The CRM holds the same person twice: both workspace records are flagged.
    await pull(w, [person('c1', 'dup@x.example'), person('c2', 'dup@x.example'), person('c3', 'z@x.example')]);
    assert.deepEqual(
      (await contacts(w)).map((c) => c.potential_duplicate),
      [true, true, false],
    );
    // c2 (title CTO) merged into c1 (no title): one record, under c1, with c2's title filling the gap.
    await pull(w, [], [merged('c2', 'c1')], { merge: { contacts: true } });
    const after = await contacts(w);
    assert.equal(after.length, 2);
    assert.deepEqual(
      after.map((c) => [c.email, c.title, c.potential_duplicate]),
      [
        ['dup@x.example', 'CTO', false],
        ['z@x.example', null, false],
      ],
    );
    assert.deepEqual(
      (await links(w)).map((l) => l.crm_id),
      ['c1', 'c3'],
    );
    assert.deepEqual(await removalTotals(db, w, 'hubspot'), { deleted: 0, unlinked: 0, merged: 1 });
  });

  it('a merge into a survivor linked to nothing relinks the record to the survivor’s id', async () => {
    const w = await workspace();
    await pull(w, [person('c1', 'a@x.example')]);
    const before = (await links(w))[0];
    await pull(w, [], [merged('c1', 'c50')], { merge: { contacts: true } });
    assert.deepEqual(await links(w), [{ crm_id: 'c50', local_id: before.local_id }]);
  });

  it('a merge with merge sync off unlinks and flags the loser; the pair is no longer a potential duplicate', async () => {
    const w = await workspace();
    await pull(w, [person('c1', 'dup@x.example'), person('c2', 'dup@x.example')]);
    await pull(w, [], [merged('c2', 'c1')], { merge: { accounts: true } });
    const rows = await contacts(w);
    assert.equal(rows.length, 2, 'both workspace records are kept');
    assert.deepEqual(
      rows.map((c) => c.potential_duplicate),
      [false, false],
    );
    const flagged = rows.find((c) => c.crm_removed);
    assert.deepEqual(
      {
        how: (flagged!.crm_removed as { how: string }).how,
        into: (flagged!.crm_removed as { mergedInto: string }).mergedInto,
      },
      { how: 'merged', into: 'c1' },
    );
    assert.deepEqual(
      (await links(w)).map((l) => l.crm_id),
      ['c1'],
    );
    assert.deepEqual(await removalTotals(db, w, 'hubspot'), { deleted: 0, unlinked: 1, merged: 0 });
  });
});
