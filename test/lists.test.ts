import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/store/db';
import { addMembers, createList, deleteList, listIdOf, listLists, listsOf, removeMembers } from '../src/store/lists';
import { addAccount, addContact } from '../src/store/workspace-writes';
import { ensureWorkspace, recordConnection, upsertUser } from '../src/store/workspace-store';

/** Workspace lists in the store: what the sync scope's lists hold. */
describe('workspace lists', () => {
  const ws = 'lists-ws';
  let db: Db;
  let ann: string;
  let bob: string;
  let acme: string;
  before(async () => {
    db = await openDb();
    await ensureWorkspace(db, ws, 'paid');
    await upsertUser(db, { id: 'lists-sync', workspaceId: ws, email: 'sync@lists.example', name: 'Sync' });
    await recordConnection(db, {
      workspaceId: ws,
      crm: 'hubspot',
      connection: 'lists-hubspot',
      syncUserId: 'lists-sync',
      crmAccountId: '1',
    });
    ann = (await addContact(db, ws, { email: 'ann@lists.example' })).id;
    bob = (await addContact(db, ws, { email: 'bob@lists.example' })).id;
    acme = (await addAccount(db, ws, { name: 'Acme', domain: 'acme-lists.example' })).id;
    await db.query('DELETE FROM push_outbox WHERE workspace_id = $1', [ws]);
  });
  after(async () => {
    await db?.close();
  });

  const refusedWith = async (p: Promise<unknown>, message: RegExp) =>
    assert.rejects(p, (err: Error) => {
      assert.match(err.message, message);
      assert.equal(err.message.split('\n').length, 1);
      return true;
    });

  it('creates a list whose id comes from its name; the same id twice is refused', async () => {
    assert.equal(listIdOf('  MQL ready! '), 'mql-ready');
    assert.equal(listIdOf('Événements 2026'), 'evenements-2026');
    assert.deepEqual(await createList(db, ws, { name: 'MQL ready', kind: 'contact' }), {
      id: 'mql-ready',
      name: 'MQL ready',
      kind: 'contact',
      members: 0,
    });
    await createList(db, ws, { name: 'Target accounts', kind: 'account' });
    await refusedWith(createList(db, ws, { name: 'mql READY', kind: 'contact' }), /already has a list "mql-ready"/);
    await refusedWith(
      createList(db, ws, { name: 'x', kind: 'lead' }),
      /^invalid list: kind: kind must be contact or account$/,
    );
    await refusedWith(
      createList(db, ws, { name: ' ', kind: 'contact' }),
      /^invalid list: name: name must not be empty$/,
    );
    await refusedWith(createList(db, ws, { name: '!!!', kind: 'contact' }), /has no letter or digit/);
    await refusedWith(createList(db, 'no-such-ws', { name: 'A', kind: 'contact' }), /^no workspace no-such-ws$/);
  });

  it('adds members of its kind, all or none, and puts the new ones in the outbox', async () => {
    const r = await addMembers(db, ws, 'mql-ready', [ann, ann]);
    assert.deepEqual(r, { added: 1, crms: ['hubspot'] });
    const { rows } = await db.query<{ local_id: string; manual: boolean }>(
      'SELECT local_id, manual FROM push_outbox WHERE workspace_id = $1',
      [ws],
    );
    assert.deepEqual(rows, [{ local_id: ann, manual: false }], 'judged by the scope and the conditions, not forced');
    assert.deepEqual(await addMembers(db, ws, 'mql-ready', [ann]), { added: 0, crms: [] }, 'already a member');

    await refusedWith(
      addMembers(db, ws, 'mql-ready', [bob, acme]),
      /^no contact .* in workspace lists-ws; nothing was added$/,
    );
    await refusedWith(
      addMembers(db, ws, 'mql-ready', ['nope']),
      /^invalid list members: 0: must be a workspace record id$/,
    );
    await refusedWith(addMembers(db, ws, 'mql-ready', []), /^invalid list members: name at least one record$/);
    await refusedWith(addMembers(db, ws, 'no-list', [bob]), /^workspace lists-ws has no list "no-list"$/);
    assert.deepEqual(await addMembers(db, ws, 'target-accounts', [acme]), { added: 1, crms: ['hubspot'] });
  });

  it('lists the lists with their sizes, and which lists of a kind each record is in', async () => {
    assert.deepEqual(await listLists(db, ws), [
      { id: 'mql-ready', name: 'MQL ready', kind: 'contact', members: 1 },
      { id: 'target-accounts', name: 'Target accounts', kind: 'account', members: 1 },
    ]);
    assert.deepEqual([...(await listsOf(db, ws, 'contact', [ann, bob]))], [[ann, ['mql-ready']]]);
    assert.deepEqual([...(await listsOf(db, ws, 'contact', [acme]))], [], 'an account is in no contact list');
    assert.deepEqual([...(await listsOf(db, ws, 'account', [acme]))], [[acme, ['target-accounts']]]);
  });

  it('removes members and deletes lists with their memberships', async () => {
    await addMembers(db, ws, 'mql-ready', [bob]);
    assert.deepEqual(await removeMembers(db, ws, 'mql-ready', [ann]), { removed: 1 });
    assert.deepEqual(await removeMembers(db, ws, 'mql-ready', [ann]), { removed: 0 });
    assert.deepEqual(await deleteList(db, ws, 'mql-ready'), {
      id: 'mql-ready',
      name: 'MQL ready',
      kind: 'contact',
      members: 1,
    });
    assert.deepEqual(
      (await listLists(db, ws)).map((l) => l.id),
      ['target-accounts'],
    );
    assert.deepEqual([...(await listsOf(db, ws, 'contact', [ann, bob]))], []);
    await refusedWith(deleteList(db, ws, 'mql-ready'), /has no list "mql-ready"/);
    // The id is free again.
    assert.equal((await createList(db, ws, { name: 'MQL ready', kind: 'contact' })).members, 0);
  });
});
