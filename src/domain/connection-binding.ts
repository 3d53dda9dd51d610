import type { CrmName } from './types';

/**
 * An integration is bound, at its first verified connect, to one CRM account: a HubSpot portal or a
 * Salesforce org. The records it links live there; a connection that reaches another account would
 * pull that account's records into the workspace and push the workspace's onto it, under ids that
 * collide with the links it holds. So a connection is refused when it is for the other CRM, or
 * reaches an account other than the bound one, at connect and whenever the connection name changes
 * (reauthorize {connection}).
 */

const CRM_LABEL: Record<CrmName, string> = { hubspot: 'HubSpot', salesforce: 'Salesforce' };
const ACCOUNT_LABEL: Record<CrmName, string> = { hubspot: 'portal', salesforce: 'org' };

/** The one-line reason a connection for `connectionCrm` cannot serve an integration that syncs `crm`; null if it can. */
export function crmMismatch(connection: string, connectionCrm: CrmName, crm: CrmName): string | null {
  if (connectionCrm === crm) return null;
  return (
    `connection "${connection}" is a ${CRM_LABEL[connectionCrm]} connection, and this integration syncs ` +
    `${CRM_LABEL[crm]}: reauthorize with a ${CRM_LABEL[crm]} connection`
  );
}

/**
 * The one-line reason a connection that reaches `reached` cannot serve an integration bound to
 * `bound`; null if it can (the same account, or no binding yet: the first connect binds).
 */
export function accountMismatch(
  connection: string,
  crm: CrmName,
  bound: string | null,
  reached: string,
): string | null {
  if (bound === null || bound === reached) return null;
  const account = `${CRM_LABEL[crm]} ${ACCOUNT_LABEL[crm]}`;
  return (
    `connection "${connection}" reaches ${account} ${reached}, and this integration is bound to ` +
    `${account} ${bound}, where its linked records are: reauthorize with a connection to ${account} ${bound}`
  );
}
