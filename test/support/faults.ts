import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PortalIndex } from '../../src/sandbox/hubspot/state';
import type { OrgIndex } from '../../src/sandbox/salesforce/state';
import type { Queryable } from '../../src/store/db';
import { upsertUser } from '../../src/store/workspace-store';
import { runsOf } from './runs';

/**
 * The fault suite's checks (issue 12): after each fault, every record exactly once on both sides,
 * exact status totals, and no failed workflow.
 */

/** What went wrong in a workflow's histories: its runs (continue-as-new) and every child's runs. */
export interface WorkflowHealth {
  /** Histories read: runs of the workflow and of its children. */
  histories: number;
  /** `WorkflowTaskFailed` events (nondeterminism, a workflow-code throw), with their cause. */
  workflowTaskFailures: string[];
  /** Children that ended other than completed, and runs that failed, timed out or were terminated. */
  failedExecutions: string[];
  /** The integration's own status now, e.g. RUNNING. */
  status: string;
}

export async function workflowHealth(client: Client, workflowId: string): Promise<WorkflowHealth> {
  const out: WorkflowHealth = { histories: 0, workflowTaskFailures: [], failedExecutions: [], status: '' };
  // Every run of the id (continue-as-new) and, for each child it started, every run of that child.
  const visit = async (wid: string): Promise<void> => {
    for (const { events } of await runsOf(client.workflow, wid)) {
      out.histories++;
      for (const e of events) {
        const wtf = e.workflowTaskFailedEventAttributes;
        if (wtf) out.workflowTaskFailures.push(`${wid}: ${String(wtf.cause)} ${wtf.failure?.message ?? ''}`.trim());
        if (e.workflowExecutionFailedEventAttributes)
          out.failedExecutions.push(`${wid}: ${e.workflowExecutionFailedEventAttributes.failure?.message ?? 'failed'}`);
        if (e.workflowExecutionTimedOutEventAttributes) out.failedExecutions.push(`${wid}: timed out`);
        if (e.workflowExecutionTerminatedEventAttributes) out.failedExecutions.push(`${wid}: terminated`);
        for (const [what, attrs] of [
          ['failed', e.childWorkflowExecutionFailedEventAttributes],
          ['timed out', e.childWorkflowExecutionTimedOutEventAttributes],
          ['terminated', e.childWorkflowExecutionTerminatedEventAttributes],
          ['canceled', e.childWorkflowExecutionCanceledEventAttributes],
        ] as const)
          if (attrs) out.failedExecutions.push(`child ${attrs.workflowExecution?.workflowId ?? '?'}: ${what}`);
        const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
        if (child?.workflowId) await visit(child.workflowId);
      }
    }
  };
  await visit(workflowId);
  out.status = (await client.workflow.getHandle(workflowId).describe()).status.name;
  return out;
}

/** No workflow task failed in any history, no child or run failed, and the integration still runs. */
export async function assertNoFailedWorkflow(client: Client, workflowId: string): Promise<WorkflowHealth> {
  const h = await workflowHealth(client, workflowId);
  assert.deepEqual(h.workflowTaskFailures, [], 'no WorkflowTaskFailed event in any history');
  assert.deepEqual(h.failedExecutions, [], 'no run or child failed');
  assert.equal(h.status, 'RUNNING', 'the integration is still running');
  return h;
}

/** A CRM's records as its sandbox holds them (live, not archived or deleted). */
export interface CrmRecords {
  people: { id: string; email: string | null; object: string; apolloId: string | null }[];
  accounts: { id: string; domain: string | null; apolloId: string | null }[];
}

export function hubspotRecords(portal: PortalIndex): CrmRecords {
  const { contacts, companies } = portal.portal.objects;
  return {
    people: contacts
      .filter((c) => !c.archived)
      .map((c) => ({
        id: c.id,
        email: c.properties.email ?? null,
        object: 'contact',
        apolloId: c.properties.apollo_contact_id ?? null,
      })),
    accounts: companies
      .filter((c) => !c.archived)
      .map((c) => ({
        id: c.id,
        domain: c.properties.domain ?? null,
        apolloId: c.properties.apollo_account_id ?? null,
      })),
  };
}

export function salesforceRecords(org: OrgIndex): CrmRecords {
  const live = (type: 'Contact' | 'Lead' | 'Account') => org.org.records[type].filter((r) => r.IsDeleted !== true);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    people: [
      ...live('Contact').map((r) => ({ object: 'Contact', r })),
      ...live('Lead')
        .filter((r) => r.IsConverted !== true)
        .map((r) => ({ object: 'Lead', r })),
    ].map(({ object, r }) => ({ id: String(r.Id), email: str(r.Email), object, apolloId: str(r.Apollo_Id__c) })),
    accounts: live('Account').map((r) => ({ id: String(r.Id), domain: str(r.Website), apolloId: str(r.Apollo_Id__c) })),
  };
}

/** The workspace's side: its records and their CRM links. */
export interface WorkspaceRecords {
  contacts: { id: string; email: string | null }[];
  accounts: { id: string; domain: string | null }[];
  links: { localId: string; crmId: string; kind: string; crmObject: string }[];
}

export async function workspaceRecords(db: Queryable, workspaceId: string, crm: string): Promise<WorkspaceRecords> {
  const q = <T>(sql: string, params: unknown[]) => db.query<T>(sql, params).then((r) => r.rows);
  return {
    contacts: await q('SELECT id, email FROM contacts WHERE workspace_id = $1', [workspaceId]),
    accounts: await q('SELECT id, domain FROM accounts WHERE workspace_id = $1', [workspaceId]),
    links: await q(
      `SELECT local_id AS "localId", crm_id AS "crmId", object_kind AS kind, crm_object AS "crmObject"
         FROM crm_links WHERE workspace_id = $1 AND crm = $2`,
      [workspaceId, crm],
    ),
  };
}

function duplicates(values: (string | null)[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const v of values) {
    if (v === null) continue;
    const k = v.toLowerCase();
    if (seen.has(k)) dups.add(k);
    seen.add(k);
  }
  return [...dups];
}

/**
 * Every record exactly once on both sides: the CRM holds `expected` people and accounts, none twice
 * (by id, email / domain, or workspace id); the workspace holds one record per CRM record, none
 * twice; and links pair them one to one, every CRM record and every workspace record linked.
 * Records the workspace pushed carry its id in the CRM and must be linked to that very record.
 */
export function assertExactlyOnce(
  crm: CrmRecords,
  ws: WorkspaceRecords,
  expected: { people: number; accounts: number },
): void {
  assert.equal(crm.people.length, expected.people, 'CRM people');
  assert.equal(crm.accounts.length, expected.accounts, 'CRM accounts');
  assert.deepEqual(duplicates(crm.people.map((p) => p.email)), [], 'no CRM person twice by email');
  assert.deepEqual(duplicates(crm.people.map((p) => p.apolloId)), [], 'no CRM person twice by workspace id');
  assert.deepEqual(duplicates(crm.accounts.map((a) => a.apolloId)), [], 'no CRM account twice by workspace id');
  assert.deepEqual(duplicates(crm.accounts.map((a) => a.domain)), [], 'no CRM account twice by domain');

  assert.equal(ws.contacts.length, expected.people, 'workspace contacts: one per CRM person');
  assert.equal(ws.accounts.length, expected.accounts, 'workspace accounts: one per CRM account');
  assert.deepEqual(duplicates(ws.contacts.map((c) => c.email)), [], 'no workspace contact twice by email');
  assert.deepEqual(duplicates(ws.accounts.map((a) => a.domain)), [], 'no workspace account twice by domain');

  for (const [kind, crmSide, wsSide] of [
    ['contact', crm.people, ws.contacts],
    ['account', crm.accounts, ws.accounts],
  ] as const) {
    const links = ws.links.filter((l) => l.kind === kind);
    assert.deepEqual(duplicates(links.map((l) => l.crmId)), [], `no ${kind} CRM record linked twice`);
    assert.deepEqual(duplicates(links.map((l) => l.localId)), [], `no workspace ${kind} linked twice`);
    assert.deepEqual(
      new Set(links.map((l) => l.crmId)),
      new Set(crmSide.map((r) => r.id)),
      `every CRM ${kind} linked, to nothing else`,
    );
    assert.deepEqual(
      new Set(links.map((l) => l.localId)),
      new Set(wsSide.map((r) => r.id)),
      `every workspace ${kind} linked`,
    );
    const linkOf = new Map(links.map((l) => [l.localId, l.crmId]));
    const misLinked = crmSide.filter((r) => r.apolloId !== null && linkOf.get(r.apolloId) !== r.id);
    assert.equal(misLinked.length, 0, `each pushed ${kind} linked to the CRM record carrying its id`);
  }
}

/** Sums of a route's calls in a sandbox's `stats().byRoute`. */
export function sumRoutes(byRoute: Record<string, number>, route: RegExp): number {
  return Object.entries(byRoute)
    .filter(([k]) => route.test(k))
    .reduce((n, [, v]) => n + v, 0);
}

/** The workspace's own records, written before the CRM is connected; a bulk manual push sends them. */
export async function seedWorkspace(db: Queryable, ws: string, accounts: number, contacts: number): Promise<void> {
  const accountIds = Array.from({ length: accounts }, () => randomUUID());
  await db.query(
    `INSERT INTO accounts (id, workspace_id, name, domain) SELECT a.id, $1, 'Faultco ' || a.n, 'faultco-' || a.n || '.example'
       FROM unnest($2::uuid[]) WITH ORDINALITY AS a(id, n)`,
    [ws, accountIds],
  );
  await db.query(
    `INSERT INTO contacts (id, workspace_id, email, last_name, account_id)
     SELECT gen_random_uuid(), $1, 'person' || n || '@faultco-' || (n % $3 + 1) || '.example', 'Person ' || n, ($2::uuid[])[n % $3 + 1]
       FROM generate_series(1, $4) AS n`,
    [ws, accountIds, accounts, contacts],
  );
}

/** Workspace reps carrying the CRM owners' emails, so pulled owners map to users. */
export async function addReps(db: Queryable, ws: string, owners: { id: string; email: string }[]): Promise<void> {
  for (const [i, o] of owners.entries())
    await upsertUser(db, { id: `${ws}-rep${i}`, workspaceId: ws, email: o.email, name: `Rep ${i}` });
}
