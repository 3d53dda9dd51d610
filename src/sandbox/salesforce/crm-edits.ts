import type { SObjectName } from './schema';
import type { OrgIndex, SfRecord } from './state';

/**
 * Things users do inside Salesforce that the sync must follow: converting a lead and merging
 * records. Reached through the admin API (tests, the demo) and the seeder.
 */

/** Converts a lead: to an existing contact/account, or to new ones made from the lead. */
export function convertLead(
  idx: OrgIndex,
  leadId: string,
  opts: { contactId?: string; accountId?: string } = {},
  at = Date.now(),
) {
  const lead = idx.getOf('Lead', leadId);
  if (!lead || lead.IsDeleted === true) throw new Error(`no lead ${leadId}`);
  if (lead.IsConverted === true) throw new Error(`lead ${leadId} is already converted`);
  const accountId =
    opts.accountId ?? String(idx.create('Account', { Name: lead.Company, OwnerId: lead.OwnerId }, at).Id);
  const contactId =
    opts.contactId ??
    String(
      idx.create(
        'Contact',
        {
          FirstName: lead.FirstName,
          LastName: lead.LastName,
          Email: lead.Email,
          Title: lead.Title,
          Phone: lead.Phone,
          AccountId: accountId,
          OwnerId: lead.OwnerId,
          LeadSource: lead.LeadSource,
        },
        at,
      ).Id,
    );
  // Conversion is a system change of read-only fields: set them, then stamp the record.
  Object.assign(lead, {
    IsConverted: true,
    ConvertedDate: new Date(at).toISOString().slice(0, 10),
    ConvertedContactId: contactId,
    ConvertedAccountId: accountId,
    Status: 'Closed - Converted',
  });
  idx.update('Lead', leadId, {}, at);
  return { leadId, contactId, accountId };
}

/**
 * Merges up to two records into a master of the same type: the losers are deleted with
 * MasterRecordId pointing at the master, and the master is updated (wire facts B4).
 */
export function mergeRecords(idx: OrgIndex, type: SObjectName, masterId: string, mergeIds: string[], at = Date.now()) {
  if (type === 'User') throw new Error('users cannot be merged');
  if (mergeIds.length < 1 || mergeIds.length > 2)
    throw new Error('a merge takes a master and one or two other records');
  const master = idx.getOf(type, masterId);
  if (!master || master.IsDeleted === true) throw new Error(`no ${type} ${masterId}`);
  for (const id of mergeIds) {
    const loser = idx.getOf(type, id);
    if (!loser || loser.IsDeleted === true) throw new Error(`no ${type} ${id}`);
    // Children follow the master, as Salesforce reparents them.
    if (type === 'Account')
      for (const c of idx.org.records.Contact)
        if (c.AccountId === id) idx.update('Contact', String(c.Id), { AccountId: masterId }, at);
    idx.remove(type, id, masterId, at);
  }
  idx.update(
    type,
    masterId,
    fillBlanks(
      master,
      mergeIds.map((id) => idx.getOf(type, id)!),
    ),
    at,
  );
  return { masterId, merged: mergeIds };
}

/** The master keeps its values; its empty fields take the first loser's. */
function fillBlanks(master: SfRecord, losers: SfRecord[]): SfRecord {
  const out: SfRecord = {};
  for (const f of ['Email', 'Phone', 'Title', 'Website', 'Industry']) {
    if (master[f] === null || master[f] === undefined) {
      const v = losers.find((l) => l[f] !== null && l[f] !== undefined)?.[f];
      if (v !== undefined) out[f] = v;
    }
  }
  return out;
}
