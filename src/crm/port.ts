import type { SetupReport } from '../domain/crm-setup';
import type { CrmFieldFacts } from '../domain/mapping-check';
import type { SharedRateBudget } from './shared-budget';
import type { CrmName, CrmOwner, CrmRecord, ObjectKind } from '../domain/types';

/**
 * The one interface the rest of the project uses to talk to a CRM. Each adapter (HubSpot, Salesforce)
 * implements it on the official client; nothing outside src/crm imports a CRM client.
 */

/** One thing a pull pages through, e.g. HubSpot `companies`, Salesforce `Lead`. */
export interface PullStream {
  name: string;
  kind: ObjectKind;
  /**
   * The CRM object this stream's records give way to when both hold the same person: Salesforce
   * Leads yield to Contacts (seed 003, "Apollo always pulls the contact, not the lead").
   */
  yieldsTo?: string;
}

export interface PageRequest {
  stream: string;
  /** Opaque, owned by the adapter; null starts the stream. */
  cursor: string | null;
  /** CRM fields the field mapping wants. The adapter adds those it needs itself (owner, modified). */
  fields: string[];
  /** Incremental pulls: only records modified at or after this instant (epoch ms). Null = everything. */
  sinceMs: number | null;
  /** Records modified after this instant are left for the next pull. */
  untilMs: number;
}

/** A CRM record removed since the last pull: deleted, or merged away into another. */
export interface CrmRemoval {
  crmId: string;
  /** The CRM object, as CrmRecord.crmObject names it: HubSpot 'contacts' | 'companies', Salesforce 'Account' | 'Contact' | 'Lead'. */
  crmObject: string;
  /** When the CRM removed it (ISO 8601). */
  removedAt: string;
  /** Merged away: the CRM id of the record that survived (Salesforce MasterRecordId; HubSpot the survivor whose hs_merged_object_ids holds it). Null: deleted. */
  mergedInto: string | null;
}

export interface PullPage {
  records: CrmRecord[];
  /** Null when the stream is exhausted. */
  nextCursor: string | null;
  /**
   * Incremental pulls only (PageRequest.sinceMs not null): records of the stream removed in
   * [sinceMs, untilMs). They come on pages of their own (`records: []`) once the changed records
   * are exhausted; HubSpot merges come on the page that carries their survivor, so a page's records
   * are to be applied before its removals. May repeat; none in the window is missed.
   */
  removals?: CrmRemoval[];
}

/** What deleting one record came to. */
export type DeleteOutcome =
  | { crmId: string; ok: true; alreadyGone: boolean }
  | { crmId: string; ok: false; cause: 'rejected' | 'transient'; code: string; message: string };

export interface CrmPort extends CrmPushPort {
  readonly crm: CrmName;
  /** In the order a pull should run them: accounts before the contacts that point at them. */
  readonly streams: readonly PullStream[];
  /**
   * Paces every later call by the CRM account's budget shared with every worker (shared-budget.ts),
   * besides this process's own pacing. The activity calls it once the account is known;
   * `sentBefore` calls made before that (connect's verify) are charged to the budget before the next.
   */
  shareRateBudget(budget: SharedRateBudget, sentBefore?: number): void;
  /** Proves the credentials work; returns the CRM account (portal / org) id. */
  verify(): Promise<{ crmAccountId: string }>;
  listOwners(): Promise<CrmOwner[]>;
  /** How many records a full pull of the stream will see, for progress; null if unknown. */
  countRecords(stream: string): Promise<number | null>;
  fetchPage(req: PageRequest): Promise<PullPage>;
  /**
   * Ids only, for reconciliation (issue 14 item 6): one page of the stream's live record ids.
   * HubSpot: list pages (limit 100) asking for no properties beyond the id; Salesforce: SELECT Id
   * ... ORDER BY Id via query/queryMore (2,000 a batch). Null cursor starts; null nextCursor: done.
   */
  listIds(stream: string, cursor: string | null): Promise<{ ids: string[]; nextCursor: string | null }>;
}

/** One workspace record to create or update in the CRM, already mapped to CRM properties. */
export interface OutboundRecord {
  localId: string;
  /** The CRM record it is linked to (or matched to by domain); null means "find it or create it". */
  crmId: string | null;
  /** For a linked record: the CRM object it lives on (a Salesforce person may be a Lead or a Contact). */
  crmObject: string | null;
  /** Mapped `push` / `both` fields. */
  properties: Record<string, string>;
  /** Linked records: CRM fields a user emptied in the workspace, cleared in the CRM (HubSpot "", Salesforce null). */
  clear?: string[];
  /** Only on creation, e.g. the source field. An existing CRM record keeps its own. */
  onCreate: Record<string, string>;
  /** Only on creation: the CRM owner (the pushing user's linked owner, else the sync user's). */
  ownerCrmId: string | null;
  /** Contacts: the email sent (HubSpot's key for creating one); null when it is not pushed. */
  email: string | null;
  /**
   * Contacts: the email an unlinked person is looked up by in the CRM, used for that lookup only and
   * never written: set even when `email` is withheld (a guessed email), null when duplicate handling
   * is off. No match: a new record, created without it if `email` is null.
   */
  matchEmail: string | null;
  /** Contacts: the CRM account to associate with, when it has one. */
  accountCrmId: string | null;
  /** Contacts: the account's name (Salesforce Leads carry it as Company). */
  accountName: string | null;
}

export type PushOutcome =
  | {
      localId: string;
      ok: true;
      crmId: string;
      crmObject: string;
      created: boolean;
      /** Written, but its association with the account failed (HubSpot's 207): an error-log entry beside the link. */
      associationError?: { code: string; message: string };
    }
  | {
      localId: string;
      ok: false;
      /** rejected: the CRM refused the record (fix data or mapping); transient: try again later. */
      cause: 'rejected' | 'transient';
      code: string;
      message: string;
      field: string | null;
      /** The CRM no longer has the record (HubSpot 404 OBJECT_NOT_FOUND / archived, Salesforce ENTITY_IS_DELETED or INVALID_CROSS_REFERENCE_KEY on an update): deletion sync decides what happens; never retried. */
      gone?: true;
    };

/** A CRM account that holds a domain, for matching a workspace account before creating one. */
export interface DomainMatch {
  crmId: string;
  domain: string;
  modifiedAt: string;
  /** The workspace id the account carries in our key field: set only on accounts a push created. */
  createdFor: string | null;
}

/** A CRM field's description, as the mapping check reads it (defined in the domain, which judges it). */
export type FieldInfo = CrmFieldFacts;

/** The object new people are created on, and how messages an operator reads name it. */
export interface PersonObject {
  object: 'contact' | 'Lead' | 'Contact';
  label: string;
}

/** A linked record's current values, read just before a push changes it. */
export interface CurrentValues {
  properties: Record<string, string | null>;
  modifiedAt: string;
}

/** What the push settings make the set-up check look for. */
export interface SetupNeeds {
  /** The source fields written on created records (people's, accounts'). */
  sourceFields: readonly string[];
}

/** The writing half of the port, used by pushes. */
export interface CrmPushPort {
  /**
   * The current values of these CRM fields on linked records of one CRM object (HubSpot `contacts`,
   * Salesforce `Lead`, ...), by CRM id. A push reads them so it never overwrites a CRM change it has
   * not pulled yet with an older workspace change. Records the CRM no longer has are left out.
   */
  readCurrent(crmObject: string, crmIds: string[], fields: string[]): Promise<Map<string, CurrentValues>>;
  /** The CRM's name in messages an operator reads, e.g. "in HubSpot". */
  readonly displayName: string;
  /** Records per write call: HubSpot 100, Salesforce 200. */
  readonly pushBatchSize: number;
  /** HubSpot refuses a second company for a domain another workspace account already holds. */
  readonly refusesDuplicateAccountDomains: boolean;
  /**
   * Deletes (HubSpot: archives) these records of one CRM object; one outcome per id, in order. A
   * record already gone is ok with alreadyGone. Throws only for whole-call failures (rate limit,
   * outage, auth).
   */
  deleteRecords(crmObject: string, crmIds: string[]): Promise<DeleteOutcome[]>;
  /** Creates or updates accounts; one outcome per record, in order. Throws only for whole-call failures. */
  pushAccounts(records: OutboundRecord[]): Promise<PushOutcome[]>;
  /** Same for people; new ones become `createAs` (Salesforce Lead or Contact; HubSpot: contacts). */
  pushContacts(records: OutboundRecord[], createAs: 'Lead' | 'Contact'): Promise<PushOutcome[]>;
  findAccountsByDomain(domains: string[]): Promise<DomainMatch[]>;
  /** What "create people as" means here: Salesforce creates a Lead or a Contact, HubSpot always contacts. */
  personObjectFor(createAs: 'Lead' | 'Contact'): PersonObject;
  /**
   * Whether the adapter creates this source field itself on the first push that writes it, so a
   * settings check must not refuse it for not existing yet.
   */
  createsSourceFieldOnDemand(field: string): boolean;
  /**
   * Whether the CRM is set up for pushes (key fields, properties, scopes); creates what it may
   * itself (HubSpot properties) and says so. Source values are checked by the caller (describeField).
   */
  checkSetup(needs: SetupNeeds): Promise<SetupReport>;
  /** Null when the field does not exist on the object new people / accounts are created as. */
  describeField(object: 'contact' | 'account' | 'Lead' | 'Contact', field: string): Promise<FieldInfo | null>;
  /**
   * Several fields of one object in one call (HubSpot: the object's property list; Salesforce: one
   * describe), keyed by the names asked for; null for a field the object does not have.
   */
  describeFields(
    object: 'contact' | 'account' | 'Lead' | 'Contact',
    fields: readonly string[],
  ): Promise<Map<string, FieldInfo | null>>;
}
