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

export interface PullPage {
  records: CrmRecord[];
  /** Null when the stream is exhausted. */
  nextCursor: string | null;
}

export interface CrmPort {
  readonly crm: CrmName;
  /** In the order a pull should run them: accounts before the contacts that point at them. */
  readonly streams: readonly PullStream[];
  /** Proves the credentials work; returns the CRM account (portal / org) id. */
  verify(): Promise<{ crmAccountId: string }>;
  listOwners(): Promise<CrmOwner[]>;
  /** How many records a full pull of the stream will see, for progress; null if unknown. */
  countRecords(stream: string): Promise<number | null>;
  fetchPage(req: PageRequest): Promise<PullPage>;
}
