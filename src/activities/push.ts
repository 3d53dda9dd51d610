import { activityInfo, heartbeat } from '@temporalio/activity';
import { DOMAIN_CONFLICT_MESSAGE, matchAccount, type CandidateAccount } from '../domain/account-match';
import { domainKey } from '../domain/dedup-keys';
import {
  appliesTo,
  applyOutbound,
  crmValue,
  localValue,
  winnerOf,
  type FieldMapping,
  type FieldMappingEntry,
} from '../domain/field-mapping';
import {
  CRM_TIME_PRECISION_MS,
  crmTime,
  decideOutbound,
  isPending,
  pushedSync,
  type FieldSync,
  type SyncDirection,
} from '../domain/field-ownership';
import { decideAccountPush, decideContactPush } from '../domain/push-conditions';
import { accountSourceOf, duplicatesOf, type PushSettings } from '../domain/push-settings';
import { noPushTotals } from '../domain/push-totals';
import type { CrmName, ObjectKind } from '../domain/types';
import { isCrmError } from '../crm/errors';
import type { CrmPort, CurrentValues, OutboundRecord, PushOutcome } from '../crm/port';
import type { RemovalSwitches } from '../domain/removal-settings';
import { removalTotals, type RemovalTotals } from '../store/removals';
import { pushDeletes } from './push-deletes';
import { listsOf } from '../store/lists';
import { clearWakeup } from '../store/push-wakeups';
import {
  alreadyLinkedMessage,
  committedBatch,
  enqueueManualPush,
  enqueueUnlinkedPage,
  linkedLocalIds,
  loadAccounts,
  loadContacts,
  loadDue,
  mirroredDomainMatches,
  outboxCounts,
  ownerIdsByUser,
  recordOutcomes,
  requeueFailed,
  type AccountRow,
  type BatchCounts,
  type ContactRow,
  type DueRow,
  type ManualPushRequest,
  type RecordedOutcome,
} from '../store/push-store';
import type { ActivityDeps } from './deps';
import { asActivity } from './failures';
import { heartbeatingActivity } from './heartbeat';
import { boundCrm } from './bound-crm';
import { requireSetup } from './setup-check';

export interface PushBatchInput {
  workspaceId: string;
  crm: CrmName;
  connection: string;
  syncUserId: string;
  push: PushSettings;
  fieldMapping: FieldMapping;
  /** The integration's direction; absent from older workflow code (bidirectional). */
  direction?: SyncDirection;
  /** This batch's share of the outbox when several run at once (see loadDue). */
  lane?: number;
  lanes?: number;
  /** Check the CRM set-up even when no row is due (the workflow shows it incomplete); absent: false. */
  checkSetup?: boolean;
  /** Deletion sync by object (settings `deletion`); absent: off for every object. */
  deletion?: RemovalSwitches;
}

export interface PushBatchResult extends BatchCounts {
  /** Rows due now after this batch, and rows waiting for a transient-failure backoff. */
  due: number;
  deferred: number;
  /** The CRM set-up was found complete (set when it was checked: rows were due, or checkSetup). */
  setupComplete?: boolean;
  /** Deletion and merge sync's counts since connect, when this batch deleted or unlinked records. */
  removals?: RemovalTotals;
}

/**
 * Pushes one CRM-sized batch of due outbox rows: decides each record (push conditions, manual,
 * linked), pushes the accounts first (including the not-yet-pushed accounts of contacts), then the
 * contacts, and records every answer in one transaction. Returns counts only; records never enter
 * workflow history. A retry after a crash before that commit pushes the same rows again, which the
 * adapters make idempotent (lookup by unique key, upsert by external id); a retry after it returns
 * the committed counts (see push_batches) rather than starting on the next rows.
 */
export function pushBatchActivity(deps: ActivityDeps) {
  return async function pushBatch(input: PushBatchInput): Promise<PushBatchResult> {
    return heartbeatingActivity(async () => {
      const key = batchKey();
      // Only a retry can find its batch committed (by an attempt whose result was lost); a first
      // attempt skips the read, one query less on the path of every edit.
      const committed = key && activityInfo().attempt > 1 ? await committedBatch(deps.db, key) : null;
      if (committed)
        deps.logger.info(
          { workspaceId: input.workspaceId, crm: input.crm, ...committed },
          'push batch already committed before a retry',
        );
      const { setupComplete, removed, ...counts } = committed
        ? { ...committed, setupComplete: true, removed: true }
        : await pushDue(deps, input, key);
      const outbox = await outboxCounts(deps.db, input.workspaceId, input.crm);
      const r: PushBatchResult = { ...counts, due: outbox.due, deferred: outbox.deferred };
      if (setupComplete) r.setupComplete = true;
      // Read only after a batch that removed something (or a retry, which cannot tell): one query less per edit.
      if (removed) r.removals = await removalTotals(deps.db, input.workspaceId, input.crm);
      if (counts.handled && !committed)
        deps.logger.info({ workspaceId: input.workspaceId, crm: input.crm, ...r }, 'push batch');
      return r;
    });
  };
}

/** Unique per scheduled activity and the same on each of its retries; null outside a workflow. */
function batchKey(): string | null {
  const { workflowExecution: wf, activityId } = activityInfo();
  return wf ? `${wf.workflowId}/${wf.runId}/${activityId}` : null;
}

async function pushDue(
  deps: ActivityDeps,
  input: PushBatchInput,
  key: string | null,
): Promise<BatchCounts & { setupComplete?: boolean; removed?: boolean }> {
  // Before the outbox is read: a write committed from now on signals again (store/push-wakeups.ts).
  await clearWakeup(deps.db, input.workspaceId, input.crm);
  // CRM -> workspace only: writes wait in the outbox, pushed if the direction changes back.
  if (input.direction === 'crmToWorkspace') return { handled: 0, ...noPushTotals() };
  const crm = await boundCrm(deps, input);
  const due = await loadDue(
    deps.db,
    input.workspaceId,
    input.crm,
    crm.pushBatchSize,
    input.lane ?? 0,
    input.lanes ?? 1,
  );
  if (!due.length && !input.checkSetup) return { handled: 0, ...noPushTotals() };
  // Pushes wait while the CRM lacks a key field or property: rows stay due, none is rejected.
  await requireSetup(crm, input.connection, input.push);
  if (!due.length) return { handled: 0, ...noPushTotals(), setupComplete: true };
  // Workspace deletions first: their records are gone, so nothing else of the batch depends on them.
  const outcomes = await pushDeletes(
    crm,
    input,
    due.filter((d) => d.op === 'delete'),
  );
  const upserts = due.filter((d) => d.op !== 'delete');
  let deferred = 0;
  if (upserts.length) {
    const batch = new PushBatch(deps, crm, input, upserts);
    outcomes.push(...(await batch.run()));
    deferred = batch.deferred.size;
  }
  // Rows deferred to the next batch (see deferSharedKeys) stay in the outbox untouched.
  const handled = due.length - deferred;
  const seqs = new Map(due.map((d) => [`${d.kind}:${d.localId}`, d.seq]));
  const counts = await recordOutcomes(deps.db, input.workspaceId, input.crm, outcomes, {
    key,
    handled,
    seqs,
    deletion: input.deletion,
  });
  const removed = outcomes.some((o) => o.result === 'deleted' || o.result === 'gone');
  return { ...counts, setupComplete: true, ...(removed ? { removed } : {}) };
}

/** What a push sends for one record and the link state it leaves (field-ownership.ts). */
interface Outbound {
  properties: Record<string, string>;
  /** Linked records: fields the user emptied, cleared in the CRM. */
  clear: string[];
  /** Merged into the link's field state when the CRM takes the record. */
  onSuccess: Record<string, FieldSync>;
  /** Merged whatever happens: changes decided without sending (an empty value, a later CRM change). */
  settled: Record<string, FieldSync>;
  /** A linked record with no field and no association to send: no CRM call. */
  nothing: boolean;
  /** Contacts: the account association is to be sent (new record, manual push, or a workspace move). */
  association: boolean;
}

class PushBatch {
  private readonly owners: Promise<Map<string, string>>;
  private readonly nowMs = Date.now();
  private readonly patches = new Map<string, Record<string, FieldSync>>();
  /** Linked records' current CRM values, read before pushing a change the CRM may also have made. */
  private readonly fresh = new Map<string, CurrentValues>();
  /** CRM accounts holding a domain asked about, and the workspace account each is linked to. */
  private readonly domainHolders = new Map<string, string>();
  /** Due rows (`kind:localId`) left in the outbox for the next batch (deferTwins). */
  readonly deferred = new Set<string>();
  private readonly ranks: Map<string, number>;
  /** Accounts found carrying their own id: created by an earlier attempt of this batch (matchAccount). */
  private readonly createdEarlier = new Set<string>();
  /** Records of a call the CRM refused as a whole (callPort). */
  private readonly refusedWhole = new Set<string>();

  constructor(
    private readonly deps: ActivityDeps,
    private readonly crm: CrmPort,
    private readonly input: PushBatchInput,
    private readonly due: DueRow[],
  ) {
    this.owners = ownerIdsByUser(deps.db, input.workspaceId, input.crm);
    this.ranks = new Map(due.map((d, i) => [`${d.kind}:${d.localId}`, i]));
  }

  async run(): Promise<RecordedOutcome[]> {
    const { db } = this.deps;
    const { workspaceId, crm } = this.input;
    const dueBy = (kind: ObjectKind) => new Map(this.due.filter((d) => d.kind === kind).map((d) => [d.localId, d]));
    const dueAccounts = dueBy('account');
    const dueContacts = dueBy('contact');
    const out: RecordedOutcome[] = [];

    const contacts = await loadContacts(db, workspaceId, crm, [...dueContacts.keys()]);
    const scoped = await this.scopeLists();
    const toPushContacts: ContactRow[] = [];
    for (const c of contacts) {
      const d = dueContacts.get(c.id)!;
      const decision = decideContactPush(
        {
          email: c.columns.email,
          stage: c.columns.stage,
          emailStatus: c.columns.email_status,
          custom: c.custom,
          lists: scoped.get(c.id),
        },
        this.input.push,
        { linked: !!c.crmId, manual: d.manual },
      );
      // Removed in the CRM with deletion / merge sync off: an edit does not create it there again.
      const keptApart = !c.crmId && c.removedInCrm && !d.manual;
      if (decision.push && !keptApart) toPushContacts.push(c);
      else out.push({ kind: 'contact', localId: c.id, result: 'skipped', inOutbox: true });
    }
    // Rows whose record was deleted meanwhile have nothing to push.
    for (const id of dueContacts.keys())
      if (!contacts.some((c) => c.id === id))
        out.push({ kind: 'contact', localId: id, result: 'skipped', inOutbox: true });
    if (duplicatesOf(this.input.push).contacts === 'email')
      this.deferTwins('contact', toPushContacts, (c) => c.columns.email?.trim().toLowerCase() || null);

    // Accounts: the due ones, plus the unlinked accounts of contacts being pushed (pushed whatever
    // the account settings say, seed 001), except for people who are or become Salesforce Leads:
    // a Lead is tied to no account and creates none, it carries the name as Company (seed 004).
    const contactAccounts = new Set(toPushContacts.map((c) => c.accountId).filter((a): a is string => !!a));
    const newPeopleAreLeads = this.crm.personObjectFor(this.input.push.createPeopleAs).object === 'Lead';
    const isLead = (c: ContactRow) => (c.crmId ? c.crmObject === 'Lead' : newPeopleAreLeads);
    const forContacts = new Set(
      toPushContacts
        .filter((c) => !isLead(c))
        .map((c) => c.accountId)
        .filter((a): a is string => !!a),
    );
    const accounts = await loadAccounts(db, workspaceId, crm, [
      ...new Set([...dueAccounts.keys(), ...contactAccounts]),
    ]);
    const toPushAccounts: AccountRow[] = [];
    for (const a of accounts) {
      const d = dueAccounts.get(a.id);
      // A contact's account already in the CRM, or only a Lead's: loaded for its name.
      if (!d && (a.crmId || !forContacts.has(a.id))) continue;
      const decision = decideAccountPush({ stage: a.columns.stage, lists: scoped.get(a.id) }, this.input.push, {
        linked: !!a.crmId,
        manual: d?.manual ?? false,
        forContact: forContacts.has(a.id),
      });
      const keptApart = !a.crmId && a.removedInCrm && !d?.manual;
      if (decision.push && !keptApart) toPushAccounts.push(a);
      else out.push({ kind: 'account', localId: a.id, result: 'skipped', inOutbox: !!d });
    }
    for (const id of dueAccounts.keys())
      if (!accounts.some((a) => a.id === id))
        out.push({ kind: 'account', localId: id, result: 'skipped', inOutbox: true });
    if (duplicatesOf(this.input.push).accounts === 'domain') {
      // An account pushed only for its contacts ranks with the first of them.
      const deferredAccounts = this.deferTwins(
        'account',
        toPushAccounts,
        (a) => a.domainKey,
        (a) => Math.min(...toPushContacts.filter((c) => c.accountId === a.id).map((c) => this.rank('contact', c.id))),
      );
      // A contact waits with the account it takes along.
      const waiting = toPushContacts.filter((c) => !isLead(c) && c.accountId && deferredAccounts.has(c.accountId));
      for (const c of waiting) this.deferred.add(`contact:${c.id}`);
      toPushContacts.splice(0, toPushContacts.length, ...toPushContacts.filter((c) => !waiting.includes(c)));
    }

    heartbeat('accounts');
    const accountResults = await this.pushAccounts(toPushAccounts, dueAccounts);
    out.push(...accountResults);
    const accountCrmIds = new Map(accounts.filter((a) => a.crmId).map((a) => [a.id, a.crmId!]));
    const accountFailures = new Map<string, { message: string; cause: 'rejected' | 'transient' }>();
    for (const r of accountResults) {
      if (r.result === 'linked') accountCrmIds.set(r.localId, r.crmId);
      // Its CRM record is gone: its contacts are pushed without an account rather than to a deleted one.
      else if (r.result === 'gone') accountCrmIds.delete(r.localId);
      else if (r.result === 'rejected' || r.result === 'transient')
        accountFailures.set(r.localId, { message: r.message, cause: r.result });
    }

    heartbeat('contacts');
    const accountNames = new Map(accounts.map((a) => [a.id, a.columns.name]));
    const ready: ContactRow[] = [];
    for (const c of toPushContacts) {
      const failure = c.accountId && !accountCrmIds.has(c.accountId) ? accountFailures.get(c.accountId) : undefined;
      if (failure === undefined) {
        ready.push(c);
        continue;
      }
      // Seed 001 FAQ: the related contact is skipped too, with its own entry. It shares its account's
      // cause: retried by itself after a passing failure, waiting for the operator after a refusal.
      out.push({
        kind: 'contact',
        localId: c.id,
        result: failure.cause,
        code: 'ACCOUNT_NOT_PUSHED',
        field: null,
        crmId: c.crmId,
        inOutbox: true,
        message:
          failure.cause === 'transient'
            ? `Contact not pushed yet: its account failed for a passing cause and both are retried by themselves (${failure.message})`
            : `Contact not pushed: its account was not pushed (${failure.message})`,
        record: summary('contact', c),
      });
    }
    out.push(...(await this.pushContacts(ready, accountCrmIds, accountNames)));
    return out;
  }

  /** Position of a due row in the batch (the outbox's order); Infinity for a record pushed along. */
  private rank(kind: ObjectKind, id: string): number {
    return this.ranks.get(`${kind}:${id}`) ?? Infinity;
  }

  /**
   * Unlinked records of the batch that share a dedup key (an account's domain, a contact's email)
   * would all match, and link to, the same CRM record, which links to one workspace record only.
   * The first (in outbox order) goes now; the others are taken out of `rows` and wait in the
   * outbox for the next batch, which sees the first one's link and decides them as if they had
   * come later: HubSpot refuses a second company with a domain (DOMAIN_CONFLICT, naming the
   * workspace account holding it), Salesforce creates a second account, a second person with an
   * email is ALREADY_LINKED. Returns the ids taken out.
   */
  private deferTwins<R extends AccountRow>(
    kind: ObjectKind,
    rows: R[],
    keyOf: (r: R) => string | null,
    rankOf: (r: R) => number = () => Infinity,
  ): Set<string> {
    const order = (r: R) => Math.min(this.rank(kind, r.id), rankOf(r));
    const byRank = [...rows].sort((a, b) => order(a) - order(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const claimed = new Map<string, string>();
    const later = new Set<string>();
    for (const r of byRank) {
      const k = r.crmId ? null : keyOf(r);
      if (!k) continue;
      const first = claimed.get(k);
      if (first === undefined) {
        claimed.set(k, r.id);
        continue;
      }
      later.add(r.id);
      this.deps.logger.info(
        { workspaceId: this.input.workspaceId, crm: this.input.crm, kind, localId: r.id, sameKeyAs: first },
        `${kind} waits for the next push batch: ${first} of this batch has the same ${kind === 'account' ? 'domain' : 'email'}`,
      );
    }
    if (!later.size) return later;
    for (const id of later) if (this.ranks.has(`${kind}:${id}`)) this.deferred.add(`${kind}:${id}`);
    rows.splice(0, rows.length, ...rows.filter((r) => !later.has(r.id)));
    return later;
  }

  /** With a sync scope (push.scope): the workspace lists each due record is in; without one, none are read. */
  private async scopeLists(): Promise<Map<string, string[]>> {
    if (!this.input.push.scope) return new Map();
    const { db } = this.deps;
    const ids = (kind: ObjectKind) => this.due.filter((d) => d.kind === kind).map((d) => d.localId);
    const [contacts, accounts] = await Promise.all([
      listsOf(db, this.input.workspaceId, 'contact', ids('contact')),
      listsOf(db, this.input.workspaceId, 'account', ids('account')),
    ]);
    return new Map([...contacts, ...accounts]);
  }

  private async pushAccounts(rows: AccountRow[], due: Map<string, DueRow>): Promise<RecordedOutcome[]> {
    if (!rows.length) return [];
    await this.readContested('account', rows);
    const out: RecordedOutcome[] = [];
    const accountSource = accountSourceOf(this.input.crm, this.input.push);
    const matched = await this.matchUnlinkedAccounts(rows.filter((a) => !a.crmId));
    const outbound: OutboundRecord[] = [];
    for (const a of rows) {
      const m = matched.get(a.id);
      if (m?.action === 'conflict') {
        out.push({
          kind: 'account',
          localId: a.id,
          result: 'rejected',
          code: 'DOMAIN_CONFLICT',
          field: 'domain',
          crmId: null,
          inOutbox: due.has(a.id),
          message: `${DOMAIN_CONFLICT_MESSAGE} in ${this.crm.displayName} (${m.crmIds
            .map((id) =>
              this.domainHolders.get(id) ? `${id}, linked to workspace account ${this.domainHolders.get(id)}` : id,
            )
            .join('; ')})`,
          record: summary('account', a),
        });
        continue;
      }
      if (m?.action === 'link' && m.createdByUs) this.createdEarlier.add(a.id);
      else if (m?.action === 'link') {
        this.deps.logger.info(
          {
            workspaceId: this.input.workspaceId,
            crm: this.input.crm,
            localId: a.id,
            crmId: m.crmId,
            candidates: m.candidates,
          },
          'account matched to an existing CRM account by domain',
        );
      }
      const o = this.outboundOf('account', a, due.get(a.id)?.manual ?? false);
      if (o.nothing) {
        out.push({ kind: 'account', localId: a.id, result: 'skipped', inOutbox: due.has(a.id), fieldSync: o.settled });
        continue;
      }
      outbound.push({
        localId: a.id,
        crmId: a.crmId ?? (m?.action === 'link' ? m.crmId : null),
        crmObject: a.crmObject,
        properties: o.properties,
        clear: o.clear,
        onCreate: { [accountSource.field]: accountSource.value },
        ownerCrmId: await this.ownerFor(due.get(a.id)?.requestedBy ?? null),
        email: null,
        matchEmail: null,
        accountCrmId: null,
        accountName: null,
      });
    }
    const results = await this.callPort(outbound, () => this.crm.pushAccounts(outbound));
    out.push(...(await this.toRecorded('account', results, outbound, rows, (id) => due.has(id))));
    return out;
  }

  private async pushContacts(
    rows: ContactRow[],
    accountCrmIds: Map<string, string>,
    accountNames: Map<string, string | null>,
  ): Promise<RecordedOutcome[]> {
    if (!rows.length) return [];
    await this.readContested('contact', rows);
    const settings = this.input.push;
    const matchByEmail = duplicatesOf(settings).contacts === 'email';
    const dueBy = new Map(this.due.map((d) => [d.localId, d]));
    const outbound: OutboundRecord[] = [];
    const out: RecordedOutcome[] = [];
    for (const c of rows) {
      const o = this.outboundOf('contact', c, dueBy.get(c.id)?.manual ?? false, accountCrmIds);
      if (o.nothing) {
        out.push({ kind: 'contact', localId: c.id, result: 'skipped', inOutbox: true, fieldSync: o.settled });
        continue;
      }
      const properties = o.properties;
      // "Push contacts and leads with guessed emails" governs the email field only, not the record.
      const withholdEmail = !settings.pushGuessedEmails && c.columns.email_status === 'guessed';
      const emailField = this.input.fieldMapping.contact.find((m) => m.localField === 'email')?.crmField;
      if (withholdEmail && emailField) {
        delete properties[emailField];
        delete this.patches.get(`contact:${c.id}`)?.email;
      }
      const email = c.columns.email?.trim().toLowerCase() || null;
      outbound.push({
        localId: c.id,
        crmId: c.crmId,
        crmObject: c.crmObject,
        properties,
        clear: o.clear.filter((f) => f !== emailField || !withholdEmail),
        onCreate: { [settings.source.field]: settings.source.value },
        ownerCrmId: await this.ownerFor(dueBy.get(c.id)?.requestedBy ?? null),
        email: withholdEmail ? null : email,
        // A withheld email still finds the person the CRM already has: withholding never duplicates.
        matchEmail: matchByEmail ? email : null,
        // Only a new record or a workspace move of the contact sets its account: a CRM user's own
        // move is not undone, and HubSpot is not asked to associate again on every edit.
        accountCrmId: o.association && c.accountId ? (accountCrmIds.get(c.accountId) ?? null) : null,
        accountName: c.accountId ? (accountNames.get(c.accountId) ?? null) : null,
      });
    }
    const results = await this.callPort(outbound, () => this.crm.pushContacts(outbound, settings.createPeopleAs));
    return [...out, ...(await this.toRecorded('contact', results, outbound, rows, () => true))];
  }

  /**
   * Reads the current CRM values of linked records with a pending change to a field the CRM may win
   * (shared or CRM-owned, mapped both ways): a CRM edit made since the last pull must not be
   * overwritten by an older workspace change. Workspace-owned fields need no read: they win anyway.
   */
  private async readContested(kind: ObjectKind, rows: (AccountRow | ContactRow)[]): Promise<void> {
    const mapping = this.input.fieldMapping[kind].filter((m) => m.direction === 'both' && winnerOf(m) !== 'workspace');
    const byObject = new Map<string, { ids: string[]; fields: Set<string> }>();
    for (const r of rows) {
      if (!r.crmId || !r.crmObject) continue;
      const contested = mapping.filter(
        (m) =>
          appliesTo(m, r.crmObject) && isPending(r.wsChanges[m.localField] ?? null, r.fieldSync[m.localField] ?? null),
      );
      if (!contested.length) continue;
      const group = byObject.get(r.crmObject) ?? { ids: [], fields: new Set<string>() };
      group.ids.push(r.crmId);
      for (const m of contested) group.fields.add(m.crmField);
      byObject.set(r.crmObject, group);
    }
    for (const [object, g] of byObject) {
      heartbeat('read before push');
      for (const [id, v] of await this.crm.readCurrent(object, g.ids, [...g.fields])) this.fresh.set(id, v);
    }
  }

  /** The field's CRM value as read just before this push, if it was read (readContested). */
  private currentValue(row: AccountRow | ContactRow, m: FieldMappingEntry) {
    const now = row.crmId ? this.fresh.get(row.crmId) : undefined;
    return now ? { value: crmValue(now.properties, m.crmField), modifiedAt: crmTime(now.modifiedAt) } : undefined;
  }

  /**
   * The properties to send. A new record (or a manual push) sends every mapped value; a linked one
   * only the fields whose workspace change is pending and allowed out by the ownership rules, so a
   * push never overwrites a CRM change with a value the workspace did not change.
   */
  private outboundOf(
    kind: ObjectKind,
    row: AccountRow | ContactRow,
    manual: boolean,
    accountCrmIds?: Map<string, string>,
  ): Outbound {
    const mapping = this.input.fieldMapping[kind];
    const onSuccess: Record<string, FieldSync> = {};
    const settled: Record<string, FieldSync> = {};
    let properties: Record<string, string> = {};
    const clear: string[] = [];
    if (!row.crmId || manual) {
      // A new person is created on the object the settings say (a Lead-only field skips a Contact).
      const object =
        row.crmObject ?? (kind === 'contact' ? this.crm.personObjectFor(this.input.push.createPeopleAs).object : null);
      properties = applyOutbound(mapping, row.columns, row.custom, object);
      for (const m of mapping)
        if (m.crmField in properties)
          onSuccess[m.localField] = pushedSync(properties[m.crmField], row.wsChanges[m.localField] ?? null, this.nowMs);
    } else {
      for (const m of mapping) {
        if (!appliesTo(m, row.crmObject)) continue;
        const value = localValue(m, row.columns, row.custom);
        const change = row.wsChanges[m.localField] ?? null;
        const sync = row.fieldSync[m.localField] ?? null;
        const d = decideOutbound({
          entry: m,
          workspace: value,
          change,
          sync,
          current: this.currentValue(row, m),
          crmPrecisionMs: CRM_TIME_PRECISION_MS[this.input.crm],
        });
        if (d.send) {
          if (value === null) clear.push(m.crmField);
          else properties[m.crmField] = value;
          onSuccess[m.localField] = pushedSync(value, change, this.nowMs);
        } else if (d.settle && change) {
          settled[m.localField] = {
            v: sync?.v ?? null,
            ct: sync?.ct ?? null,
            st: change.at,
            ...(sync?.pt ? { pt: sync.pt } : {}),
          };
        }
      }
    }
    // A contact's account is sent as an association: pending when the workspace moved the contact.
    let association = false;
    if (kind === 'contact') {
      const c = row as ContactRow;
      const change = c.wsChanges.account_id ?? null;
      const accountCrmId = c.accountId ? (accountCrmIds?.get(c.accountId) ?? null) : null;
      association = !row.crmId || manual || (isPending(change, c.fieldSync.account_id ?? null) && !!accountCrmId);
      if (accountCrmId && change) onSuccess.account_id = pushedSync(accountCrmId, change, this.nowMs);
    }
    this.patches.set(`${kind}:${row.id}`, { ...settled, ...onSuccess });
    const nothing = !!row.crmId && !manual && !Object.keys(properties).length && !clear.length && !association;
    return { properties, clear, onSuccess, settled, nothing, association };
  }

  /** Pushing user's CRM owner, else the sync user's (seed 001 ownership). */
  private async ownerFor(userId: string | null): Promise<string | null> {
    const owners = await this.owners;
    return (userId ? owners.get(userId) : undefined) ?? owners.get(this.input.syncUserId) ?? null;
  }

  /**
   * Unlinked accounts with a domain: CRM accounts holding it, from the mirror and from the CRM itself.
   * Duplicate handling `off`: none is matched, every unlinked account is created.
   */
  private async matchUnlinkedAccounts(rows: AccountRow[]) {
    const result = new Map<string, ReturnType<typeof matchAccount>>();
    if (duplicatesOf(this.input.push).accounts === 'off') return result;
    const withDomain = rows.filter((a) => a.domainKey);
    if (!withDomain.length) return result;
    const domains = [...new Set(withDomain.map((a) => a.domainKey!))];
    const mirrored = await mirroredDomainMatches(this.deps.db, this.input.workspaceId, this.input.crm, domains);
    const live = await this.crm.findAccountsByDomain(domains);
    const linked = await linkedLocalIds(
      this.deps.db,
      this.input.workspaceId,
      this.input.crm,
      'account',
      live.map((m) => m.crmId),
    );
    for (const a of withDomain) {
      const byId = new Map<string, CandidateAccount>();
      for (const m of mirrored)
        if (m.domain_key === a.domainKey)
          byId.set(m.crm_id, { crmId: m.crm_id, modifiedAt: m.crm_modified_at, linkedTo: m.local_id });
      for (const m of live) {
        if (domainKey(m.domain) === a.domainKey)
          byId.set(m.crmId, {
            crmId: m.crmId,
            modifiedAt: m.modifiedAt,
            linkedTo: linked.get(m.crmId) ?? null,
            createdFor: m.createdFor,
          });
      }
      for (const c of byId.values()) if (c.linkedTo) this.domainHolders.set(c.crmId, c.linkedTo);
      result.set(a.id, matchAccount(a.id, [...byId.values()], this.crm.refusesDuplicateAccountDomains));
    }
    return result;
  }

  /** A whole call refused as invalid (not rate limits, outages, auth) becomes each record's rejection. */
  private async callPort(records: OutboundRecord[], fn: () => Promise<PushOutcome[]>): Promise<PushOutcome[]> {
    if (!records.length) return [];
    try {
      return await fn();
    } catch (err) {
      if (!isCrmError(err) || !['invalid', 'conflict', 'notFound'].includes(err.kind)) throw err;
      // A whole call's "not found" names no record: none of them is taken for deleted (isGone).
      for (const r of records) this.refusedWhole.add(r.localId);
      return records.map((r) => ({
        localId: r.localId,
        ok: false,
        cause: 'rejected',
        code: err.details.code ?? err.kind.toUpperCase(),
        message: err.message,
        field: null,
      }));
    }
  }

  /** CRM answers -> store outcomes; a CRM record already linked to ANOTHER workspace record is not linked twice. */
  private async toRecorded(
    kind: ObjectKind,
    results: PushOutcome[],
    outbound: OutboundRecord[],
    rows: (AccountRow | ContactRow)[],
    inOutbox: (id: string) => boolean,
  ): Promise<RecordedOutcome[]> {
    const rowById = new Map(rows.map((r) => [r.id, r]));
    const ownerById = new Map(outbound.map((o) => [o.localId, o.ownerCrmId]));
    const okIds = results.filter((r) => r.ok).map((r) => (r as { crmId: string }).crmId);
    const linkedTo = await linkedLocalIds(this.deps.db, this.input.workspaceId, this.input.crm, kind, okIds);
    return results.map((r): RecordedOutcome => {
      const row = rowById.get(r.localId)!;
      if (r.ok) {
        const other = linkedTo.get(r.crmId);
        if (other && other !== r.localId) {
          return {
            kind,
            localId: r.localId,
            result: 'rejected',
            code: 'ALREADY_LINKED',
            field: kind === 'contact' ? 'email' : 'domain',
            crmId: r.crmId,
            inOutbox: inOutbox(r.localId),
            message: alreadyLinkedMessage(kind, r.crmId, other),
            record: summary(kind, row),
          };
        }
        const created = r.created || this.createdEarlier.has(r.localId);
        // The association failed: the account change stays pending, so the next push sends it again.
        if (r.associationError) delete this.patches.get(`${kind}:${r.localId}`)?.account_id;
        return {
          kind,
          localId: r.localId,
          result: 'linked',
          crmId: r.crmId,
          crmObject: r.crmObject,
          ownerCrmId: created ? (ownerById.get(r.localId) ?? null) : null,
          inOutbox: inOutbox(r.localId),
          created,
          fieldSync: this.patches.get(`${kind}:${r.localId}`),
          record: summary(kind, row),
          ...(r.associationError ? { note: { ...r.associationError, field: 'account_id' } } : {}),
        };
      }
      if (row.crmId && row.crmObject && !this.refusedWhole.has(r.localId) && isGone(r))
        return {
          kind,
          localId: r.localId,
          result: 'gone',
          crmId: row.crmId,
          crmObject: row.crmObject,
          inOutbox: inOutbox(r.localId),
        };
      return {
        kind,
        localId: r.localId,
        result: r.cause,
        code: r.code,
        message: r.message,
        field: r.field,
        crmId: row.crmId,
        inOutbox: inOutbox(r.localId),
        record: summary(kind, row),
      };
    });
  }
}

/**
 * The CRM no longer has the linked record the push went to. Until every adapter says so (`gone`),
 * the CRMs' own codes for it: HubSpot's 404 OBJECT_NOT_FOUND, Salesforce's ENTITY_IS_DELETED, and
 * its INVALID_CROSS_REFERENCE_KEY naming no field (the record's own Id: purged); naming a field it
 * is a reference the record holds (an account, an owner), and the record itself is there.
 */
function isGone(r: Extract<PushOutcome, { ok: false }>): boolean {
  if (r.gone) return true;
  if (r.code === 'OBJECT_NOT_FOUND' || r.code === 'ENTITY_IS_DELETED') return true;
  return r.code === 'INVALID_CROSS_REFERENCE_KEY' && (r.field === null || r.field === 'Id');
}

/** What the error log keeps of the record: enough to recognise it, nothing more. */
function summary(kind: ObjectKind, row: AccountRow | ContactRow): Record<string, unknown> {
  const c = row.columns;
  return kind === 'contact'
    ? { email: c.email, name: [c.first_name, c.last_name].filter(Boolean).join(' ') || null }
    : { name: c.name, domain: c.domain };
}

export interface ManualPushInput extends ManualPushRequest {
  /**
   * `allUnlinked` in bounded steps (newer workflow code): start after this record id and return
   * within the time budget with the cursor to go on from. Absent (older workflow code): every
   * page, in one call.
   */
  page?: { after: string | null };
}

/** How long one paged call of a manual push of `all` queues pages before it returns its cursor. */
export const MANUAL_PUSH_BUDGET_MS = 15_000;

/**
 * Queues a manual push. `ids` (at most 10,000) go in one transaction; `all` goes page by page
 * (MANUAL_PUSH_PAGE rows a transaction), heartbeating the cursor, so a retry after a lost worker
 * resumes where the last page ended and no call grows with the workspace.
 */
export function enqueueManualPushActivity(deps: ActivityDeps) {
  return async function enqueueManual(input: ManualPushInput): Promise<{ queued: number; next?: string | null }> {
    // Not heartbeatingActivity: its timer would overwrite the cursor this heartbeats as details.
    return asActivity(async () => {
      if (!input.allUnlinked) return { queued: await enqueueManualPush(deps.db, input) };
      const resumed = activityInfo().heartbeatDetails as { after: string | null; queued: number } | undefined;
      if (resumed && resumed.after === null) return { queued: resumed.queued, next: null };
      let after = resumed?.after ?? input.page?.after ?? null;
      let queued = resumed?.queued ?? 0;
      const until = input.page ? Date.now() + (deps.manualPushBudgetMs ?? MANUAL_PUSH_BUDGET_MS) : Infinity;
      for (;;) {
        const r = await enqueueUnlinkedPage(deps.db, input, after);
        queued += r.queued;
        after = r.last;
        heartbeat({ after, queued });
        if (after === null || Date.now() >= until) return { queued, next: after };
      }
    });
  };
}

export function requeueFailedActivity(deps: ActivityDeps) {
  return async function requeueFailedPushes(input: {
    workspaceId: string;
    crm: CrmName;
    ids?: string[];
    cause?: 'rejected';
    manual: boolean;
  }): Promise<{ queued: number }> {
    return { queued: await requeueFailed(deps.db, input) };
  };
}

export interface SourceFieldCheck {
  connection: string;
  field: string;
  value: string;
  createPeopleAs: 'Lead' | 'Contact';
  /**
   * Accounts' source (seed 004), checked on the CRM's account object when given. Optional: workflow
   * code that predates it does not send it.
   */
  accountSource?: { field: string; value: string };
  /**
   * Not read: the adapter knows which source field it creates itself (createsSourceFieldOnDemand).
   * Workflow code before the restructuring still sends it when it replays a pending call.
   */
  defaultField?: string;
}

/** Settings validation that needs the CRM: the source fields exist, and their values are allowed. */
export function checkSourceFieldActivity(deps: ActivityDeps) {
  return async function checkSourceField(input: SourceFieldCheck): Promise<{ problem: string | null }> {
    return heartbeatingActivity(async () => {
      const crm = deps.connections.adapter(input.connection);
      const people = crm.personObjectFor(input.createPeopleAs);
      const problem = await sourceProblem(crm, 'source', people.object, people.label, input);
      if (problem || !input.accountSource) return { problem };
      return {
        problem: await sourceProblem(
          crm,
          'account source',
          'account',
          `${crm.displayName} accounts`,
          input.accountSource,
        ),
      };
    });
  };
}

async function sourceProblem(
  crm: CrmPort,
  what: 'source' | 'account source',
  object: 'contact' | 'account' | 'Lead' | 'Contact',
  label: string,
  source: { field: string; value: string },
): Promise<string | null> {
  const info = await crm.describeField(object, source.field);
  if (!info) {
    if (crm.createsSourceFieldOnDemand(source.field)) return null;
    return `${what} field "${source.field}" does not exist on ${label}`;
  }
  if (info.options && info.restricted && !info.options.includes(source.value))
    return `${what} value "${source.value}" is not an allowed value of picklist ${source.field} (allowed: ${info.options.join(', ')})`;
  return null;
}
