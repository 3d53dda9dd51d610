import { CrmError } from '../crm/errors';
import type { CrmPort } from '../crm/port';
import { accountMismatch, crmMismatch } from '../domain/connection-binding';
import type { CrmName } from '../domain/types';
import { getBinding, rebindConnection } from '../store/workspace-store';
import type { ActivityDeps } from './deps';
import { shareAccountBudget } from './rate-budget';

/**
 * The CRM behind the connection an activity was given, once it is known to be the integration's
 * CRM and account (domain/connection-binding.ts). The connection last verified costs one indexed
 * read; a new name (reauthorize {connection} while syncing) is verified here, before anything is
 * read from or written to the account it reaches, and becomes the integration's if it reaches the
 * bound account. A refusal is a CrmError of kind 'auth': the integration waits in needsReauth with
 * the reason, for a reauthorize naming the right connection.
 */
export async function boundCrm(
  deps: ActivityDeps,
  input: { workspaceId: string; crm: CrmName; connection: string },
): Promise<CrmPort> {
  const crm = connectionFor(deps, input);
  const binding = await getBinding(deps.db, input.workspaceId, input.crm);
  // No row yet: connect (which also records the sync user) has not run, so nothing is bound: it binds.
  if (!binding) return crm;
  if (binding.connection === input.connection && binding.crmAccountId !== null) {
    shareAccountBudget(deps, crm, input.crm, binding.crmAccountId);
    return crm;
  }
  const { crmAccountId } = await crm.verify();
  refuseOtherAccount(input, binding.crmAccountId, crmAccountId);
  await rebindConnection(deps.db, { ...input, crmAccountId });
  shareAccountBudget(deps, crm, input.crm, crmAccountId);
  return crm;
}

/** The adapter for the connection, refused if it is for the other CRM. */
export function connectionFor(deps: ActivityDeps, input: { crm: CrmName; connection: string }): CrmPort {
  const crm = deps.connections.adapter(input.connection);
  const refusal = crmMismatch(input.connection, crm.crm, input.crm);
  if (refusal) throw new CrmError('auth', refusal);
  return crm;
}

/** Throws the refusal when the account the connection reaches is not the one the integration is bound to. */
export function refuseOtherAccount(
  input: { crm: CrmName; connection: string },
  bound: string | null,
  reached: string,
): void {
  const refusal = accountMismatch(input.connection, input.crm, bound, reached);
  if (refusal) throw new CrmError('auth', refusal);
}
