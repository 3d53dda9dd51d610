import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rulesNamed, type RecordExplanation } from '../src/domain/explain';
import { formatExplanation } from '../src/domain/explain-format';
import { defaultFieldMapping, type FieldMappingEntry, type ObjectMapping } from '../src/domain/field-mapping';
import {
  pushedSync,
  RULES,
  type FieldSync,
  type Rule,
  type SyncDirection,
  type WorkspaceChange,
} from '../src/domain/field-ownership';
import { openDb, type Db } from '../src/store/db';
import { connectedCrms, explainRecord } from '../src/store/explain';
import { applyPullPage, beginPullRun, type PulledRecord } from '../src/store/pull-store';
import { recordOutcomes } from '../src/store/push-store';
import { findByCrmId } from '../src/store/reports';
import { addContact, updateContact } from '../src/store/workspace-writes';
import { ensureWorkspace, recordConnection, upsertUser } from '../src/store/workspace-store';

/**
 * explain is tested for every rule: each scenario brings a record into the state one rule of
 * field-ownership.ts produces, through the store functions the sync itself uses (workspace writes,
 * pull pages, push outcomes), and explain must name that rule for the field.
 */
describe('explain', () => {
  const ws = 'explain-ws';
  let db: Db;
  let seq = 0;
  const next = () => ++seq;
  before(async () => {
    db = await openDb();
    await ensureWorkspace(db, ws, 'paid');
    await upsertUser(db, { id: 'explain-sync', workspaceId: ws, email: 'sync@explain.example', name: 'Sync' });
    await recordConnection(db, {
      workspaceId: ws,
      crm: 'hubspot',
      connection: 'explain-hubspot',
      syncUserId: 'explain-sync',
      crmAccountId: '1',
    });
  });
  after(async () => {
    await db?.close();
  });

  const iso = (ms: number) => new Date(ms).toISOString();
  const mappingWith = (title: Partial<FieldMappingEntry> = {}): ObjectMapping => [
    { crmField: 'email', localField: 'email', direction: 'both' },
    { crmField: 'jobtitle', localField: 'title', direction: 'both', ...title },
  ];

  /** One pull page of one contact, judged by the mapping as the pull activity would. */
  async function pull(
    crmId: string,
    columns: Record<string, string | null>,
    o: { mapping?: ObjectMapping; modifiedAt?: number; readAt?: number; direction?: SyncDirection } = {},
  ): Promise<string> {
    const run = await beginPullRun(db, {
      runKey: `explain-${next()}`,
      workspaceId: ws,
      crm: 'hubspot',
      kind: 'recurring',
      objectKind: 'contact',
      stream: 'contacts',
      nowMs: Date.now(),
    });
    const record: PulledRecord = {
      crmId,
      crmObject: 'contacts',
      columns,
      custom: {},
      crmOwnerId: null,
      parentCrmId: null,
      modifiedAt: iso(o.modifiedAt ?? Date.now()),
    };
    const counts = await applyPullPage(db, {
      runId: run.id,
      expectedCursor: null,
      records: [record],
      nextCursor: null,
      syncUserId: 'explain-sync',
      rules: {
        mapping: o.mapping ?? mappingWith(),
        direction: o.direction ?? 'bidirectional',
        crmPrecisionMs: 1,
        readAt: o.readAt ?? Date.now(),
      },
    });
    assert.notEqual(counts, 'stale');
    return (await findByCrmId(db, ws, 'hubspot', 'contact', crmId))!.id;
  }

  /** A contact the CRM has, pulled into the workspace a minute ago (as the CRM modified it). */
  async function pulledContact(title: string | null, mapping?: ObjectMapping) {
    const n = next();
    const crmId = `hs-${n}`;
    const email = `p${n}@explain.example`;
    const modifiedAt = Date.now() - 60_000;
    const id = await pull(crmId, { email, title }, { mapping, modifiedAt });
    return { id, crmId, email, modifiedAt };
  }

  async function stored(id: string) {
    const { rows } = await db.query<{
      ws_changes: Record<string, WorkspaceChange>;
      field_sync: Record<string, FieldSync>;
    }>(`SELECT c.ws_changes, l.field_sync FROM contacts c LEFT JOIN crm_links l ON l.local_id = c.id WHERE c.id = $1`, [
      id,
    ]);
    return { changes: rows[0].ws_changes, sync: rows[0].field_sync ?? {} };
  }

  /** A push that sent these fields of a record, as the push activity records it (pushedSync patches). */
  async function pushed(id: string, crmId: string, values: Record<string, string>, created = false) {
    const { changes } = await stored(id);
    const nowMs = Date.now();
    const fieldSync = Object.fromEntries(
      Object.entries(values).map(([f, v]) => [f, pushedSync(v, changes[f] ?? null, nowMs)]),
    );
    await recordOutcomes(db, ws, 'hubspot', [
      {
        kind: 'contact',
        localId: id,
        result: 'linked',
        crmId,
        crmObject: 'contacts',
        ownerCrmId: null,
        created,
        inOutbox: false,
        fieldSync,
      },
    ]);
    return nowMs;
  }

  const explain = (id: string, field?: string, mapping: ObjectMapping = mappingWith()) =>
    explainRecord(db, {
      workspaceId: ws,
      kind: 'contact',
      id,
      field,
      mappings: [{ crm: 'hubspot', from: 'settings', fieldMapping: { contact: mapping, account: [] } }],
    });

  /** The rule is named for the field, in the data and in the printed text, with its sentence. */
  function assertNames(x: RecordExplanation, field: string, rule: Rule) {
    const f = x.fields.find((e) => e.field === field);
    assert.ok(f, `${field} is explained`);
    assert.ok(rulesNamed(f).includes(rule), `${field}: ${rule} expected, named ${rulesNamed(f).join(', ')}`);
    assert.ok(formatExplanation(x).includes(`rule ${rule}: ${RULES[rule]}`), formatExplanation(x));
  }

  /** Per rule: the record and field a scenario leaves in that rule's state (and extra checks). */
  const scenarios: Record<Rule, () => Promise<{ id: string; field: string; mapping?: ObjectMapping }>> = {
    async 'crm-owned'() {
      const mapping = mappingWith({ direction: 'pull' });
      const c = await pulledContact('Old', mapping);
      await pull(c.crmId, { email: c.email, title: 'Set in CRM' }, { mapping });
      return { id: c.id, field: 'title', mapping };
    },
    async 'workspace-only-field'() {
      const mapping = mappingWith({ direction: 'push' });
      const c = await pulledContact('Old', mapping);
      await updateContact(db, ws, c.id, { title: 'Ours' });
      // The pull never asks for a push-only field; a page that carries one is still not written.
      await pull(c.crmId, { email: c.email, title: 'Theirs' }, { mapping });
      return { id: c.id, field: 'title', mapping };
    },
    async 'crm-changed'() {
      const c = await pulledContact('Old');
      await pull(c.crmId, { email: c.email, title: 'New in CRM' });
      return { id: c.id, field: 'title' };
    },
    async 'crm-value'() {
      // The workspace empties the field; the push sends no empty value and settles the change, so
      // the next pull takes the CRM's (unchanged) value back.
      const c = await pulledContact('Kept');
      await updateContact(db, ws, c.id, { title: null });
      const { changes, sync } = await stored(c.id);
      await recordOutcomes(db, ws, 'hubspot', [
        {
          kind: 'contact',
          localId: c.id,
          result: 'skipped',
          inOutbox: false,
          fieldSync: { title: { v: sync.title.v, ct: sync.title.ct, st: changes.title.at } },
        },
      ]);
      await pull(c.crmId, { email: c.email, title: 'Kept' });
      return { id: c.id, field: 'title' };
    },
    async 'in-agreement'() {
      const c = await pulledContact('Same');
      await pull(c.crmId, { email: c.email, title: 'Same' });
      return { id: c.id, field: 'title' };
    },
    async 'stale-read'() {
      const c = await pulledContact('Old');
      await updateContact(db, ws, c.id, { title: 'Pushed' });
      const pt = await pushed(c.id, c.crmId, { title: 'Pushed' });
      // A page read just before the push, applied after it: the CRM copy it holds predates the push.
      await pull(c.crmId, { email: c.email, title: 'Old' }, { modifiedAt: c.modifiedAt, readAt: pt - 500 });
      const x = await explain(c.id, 'title');
      assert.equal(x.fields[0].value, 'Pushed', 'the stale page did not write');
      return { id: c.id, field: 'title' };
    },
    async 'workspace-pending'() {
      const c = await pulledContact('Old');
      await updateContact(db, ws, c.id, { title: 'Unsent' });
      // The CRM did not change the field: the pull keeps the unsent change.
      await pull(c.crmId, { email: c.email, title: 'Old' });
      const [link] = (await explain(c.id, 'title')).fields[0].links;
      assert.equal(link.pending, true);
      return { id: c.id, field: 'title' };
    },
    async 'conflict-crm-owned'() {
      const mapping = mappingWith({ winner: 'crm' });
      const c = await pulledContact('Old', mapping);
      await updateContact(db, ws, c.id, { title: 'Ours' });
      await pull(c.crmId, { email: c.email, title: 'Theirs' }, { mapping });
      return { id: c.id, field: 'title', mapping };
    },
    async 'conflict-workspace-owned'() {
      const mapping = mappingWith({ winner: 'workspace' });
      const c = await pulledContact('Old', mapping);
      await updateContact(db, ws, c.id, { title: 'Ours' });
      await pull(c.crmId, { email: c.email, title: 'Theirs' }, { mapping });
      return { id: c.id, field: 'title', mapping };
    },
    async 'conflict-crm-later'() {
      const mapping = mappingWith({ winner: 'latest' });
      const c = await pulledContact('Old', mapping);
      await updateContact(db, ws, c.id, { title: 'Ours' });
      await pull(c.crmId, { email: c.email, title: 'Theirs' }, { mapping, modifiedAt: Date.now() + 30_000 });
      return { id: c.id, field: 'title', mapping };
    },
    async 'conflict-workspace-later'() {
      const mapping = mappingWith({ winner: 'latest' });
      const c = await pulledContact('Old', mapping);
      await updateContact(db, ws, c.id, { title: 'Ours' });
      await pull(c.crmId, { email: c.email, title: 'Theirs' }, { mapping, modifiedAt: c.modifiedAt + 1_000 });
      return { id: c.id, field: 'title', mapping };
    },
    async 'enrichment-not-applied'() {
      const c = await pulledContact('Old');
      await updateContact(db, ws, c.id, { title: 'Enriched' }, null, 'enrichment');
      await pull(c.crmId, { email: c.email, title: 'Theirs' });
      return { id: c.id, field: 'title' };
    },
    async 'auto-fill'() {
      const mapping = mappingWith({ autoFill: true });
      const c = await pulledContact(null, mapping);
      await updateContact(db, ws, c.id, { title: 'Enriched' }, null, 'enrichment');
      await pull(c.crmId, { email: c.email, title: null }, { mapping });
      return { id: c.id, field: 'title', mapping };
    },
    async 'auto-overwrite'() {
      const mapping = mappingWith({ autoOverwrite: true });
      const c = await pulledContact('Old', mapping);
      await updateContact(db, ws, c.id, { title: 'Enriched' }, null, 'enrichment');
      await pull(c.crmId, { email: c.email, title: 'Theirs' }, { mapping });
      return { id: c.id, field: 'title', mapping };
    },
    async 'direction-workspace-to-crm'() {
      const c = await pulledContact('Old');
      await updateContact(db, ws, c.id, { title: 'Ours' });
      await pull(c.crmId, { email: c.email, title: 'Theirs' }, { direction: 'workspaceToCrm' });
      return { id: c.id, field: 'title' };
    },
    async pushed() {
      const c = await pulledContact('Old');
      await updateContact(db, ws, c.id, { title: 'Pushed' });
      await pushed(c.id, c.crmId, { title: 'Pushed' });
      return { id: c.id, field: 'title' };
    },
    async 'created-in-crm'() {
      const n = next();
      const w = await addContact(db, ws, { email: `new${n}@explain.example`, title: 'Founder' });
      await pushed(w.id, `hs-new-${n}`, { email: `new${n}@explain.example`, title: 'Founder' }, true);
      return { id: w.id, field: 'title' };
    },
    async 'pulled-new'() {
      const c = await pulledContact('From CRM');
      return { id: c.id, field: 'title' };
    },
    async 'workspace-write'() {
      const n = next();
      const w = await addContact(db, ws, { email: `w${n}@explain.example`, title: 'Typed here' });
      return { id: w.id, field: 'title' };
    },
  };

  for (const rule of Object.keys(RULES) as Rule[]) {
    it(`names ${rule}`, async () => {
      const s = await scenarios[rule]();
      assertNames(await explain(s.id, undefined, s.mapping), s.field, rule);
    });
  }

  it('a pull that later agrees with a pushed value is in agreement, not stale', async () => {
    const c = await pulledContact('Old');
    await updateContact(db, ws, c.id, { title: 'Pushed' });
    const pt = await pushed(c.id, c.crmId, { title: 'Pushed' });
    await pull(c.crmId, { email: c.email, title: 'Pushed' }, { modifiedAt: pt + 5, readAt: pt + 10 });
    const [link] = (await explain(c.id, 'title')).fields[0].links;
    assert.equal(link.standing, 'in-agreement');
    assert.equal(link.pushedAt, pt);
  });

  it('prints the value, its writer, and each link: CRM value, push time, pending', async () => {
    const c = await pulledContact('Old');
    await updateContact(db, ws, c.id, { title: 'Unsent' });
    const x = await explain(c.id);
    assert.deepEqual(
      x.fields.map((f) => f.field),
      ['email', 'title'],
    );
    const text = formatExplanation(x);
    assert.match(text, new RegExp(`^contact ${c.id} in workspace ${ws}$`, 'm'));
    assert.match(text, /^hubspot field mapping: the integration's settings$/m);
    assert.match(text, /^title: "Unsent"$/m);
    assert.match(text, /^ {2}written by a manual edit \(at \d{4}-.*Z\)$/m);
    assert.match(text, /^ {2}hubspot jobtitle \(both ways, the workspace wins a conflict\) on contacts hs-\d+$/m);
    assert.match(text, /CRM value "Old", changed .*Z; never pushed; workspace change of .*Z pending/);
  });

  it('a field is asked for by its workspace or its CRM name', async () => {
    const c = await pulledContact('Named');
    for (const name of ['title', 'jobtitle']) {
      const x = await explain(c.id, name);
      assert.deepEqual(
        x.fields.map((f) => f.field),
        ['title'],
      );
    }
  });

  it('the default mapping says why it is used, in one line', async () => {
    const c = await pulledContact('Old');
    const x = await explainRecord(db, {
      workspaceId: ws,
      kind: 'contact',
      id: c.id,
      mappings: [
        {
          crm: 'hubspot',
          from: 'default',
          reason: 'Temporal is not reachable',
          fieldMapping: defaultFieldMapping('hubspot'),
        },
      ],
    });
    assert.match(formatExplanation(x), /^hubspot field mapping: the default one, since Temporal is not reachable$/m);
    assert.ok(x.fields.some((f) => f.field === 'stage'));
  });

  it('refuses a bad kind, id, field or workspace in one sentence', async () => {
    const c = await pulledContact('Old');
    const base = {
      workspaceId: ws,
      kind: 'contact',
      id: c.id,
      mappings: [{ crm: 'hubspot' as const, from: 'settings' as const, fieldMapping: defaultFieldMapping('hubspot') }],
    };
    const cases: [Partial<typeof base> & { field?: string }, RegExp][] = [
      [{ kind: 'lead' }, /^invalid record kind "lead": use contact or account$/],
      [{ id: 'nope' }, /^invalid contact id "nope"$/],
      [{ id: '00000000-0000-4000-8000-000000000000' }, /^no contact 00000000-0000-4000-8000-000000000000 in workspace/],
      [{ field: 'shoe_size' }, /^contact field "shoe_size" is not mapped \(mapped: email, first_name, .*\)$/],
      [{ workspaceId: 'no-such-ws' }, /^no workspace no-such-ws$/],
    ];
    for (const [change, message] of cases)
      await assert.rejects(explainRecord(db, { ...base, ...change }), (err: Error) => {
        assert.match(err.message, message);
        assert.equal(err.message.split('\n').length, 1);
        return true;
      });
    assert.deepEqual(await connectedCrms(db, ws), ['hubspot']);
  });
});
