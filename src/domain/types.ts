/** Names shared by every layer. Pure types: no I/O here. */
export const CRM_NAMES = ['hubspot', 'salesforce'] as const;
export type CrmName = (typeof CRM_NAMES)[number];

/** The workspace's own object kinds. CRM objects (HubSpot companies, Salesforce Leads…) map onto these. */
export const OBJECT_KINDS = ['contact', 'account'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export const PULL_KINDS = ['initial', 'recurring', 'manual'] as const;
export type PullKind = (typeof PULL_KINDS)[number];

export const PERMISSIONS = ['assign contact owner', 'assign account owner'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Which permission lets the sync user apply a CRM owner to each kind (seed 001). */
export const OWNER_PERMISSION: Record<ObjectKind, Permission> = {
  contact: 'assign contact owner',
  account: 'assign account owner',
};

/** A CRM record after the adapter has normalised it; values stay strings as the CRMs send them. */
export interface CrmRecord {
  crmId: string;
  /** The CRM object it came from, e.g. `contacts`, `Lead`. */
  crmObject: string;
  properties: Record<string, string | null>;
  ownerId: string | null;
  /** CRM ids of the accounts this record is associated with (contacts only). */
  accountCrmIds: string[];
  modifiedAt: string;
  /**
   * The record of the stream's `yieldsTo` object this one now lives on, e.g. a converted Salesforce
   * Lead's ConvertedContactId: the workspace record follows it there.
   */
  followsTo?: string | null;
}

export interface CrmOwner {
  crmOwnerId: string;
  email: string | null;
  name: string;
}
