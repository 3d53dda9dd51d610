import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPE } from '../domain/failure-types';
import type { IntegrationInput } from '../domain/integration-input';
import { ensureWorkspace, getBinding, getUser, recordConnection, saveCrmOwners } from '../store/workspace-store';
import { boundCrm, connectionFor, refuseOtherAccount } from './bound-crm';
import { shareAccountBudget } from './rate-budget';
import type { ActivityDeps } from './deps';
import { heartbeatingActivity, stopIfAbandoned } from './heartbeat';

export interface ConnectResult {
  crmAccountId: string;
  owners: number;
  ownersLinkedByEmail: number;
}

/**
 * Verifies the credentials behind the connection name, that they reach the CRM and account the
 * integration is bound to (bound-crm.ts), and records who the sync user is.
 */
export function connectActivity(deps: ActivityDeps) {
  return async function connect(
    input: Pick<IntegrationInput, 'workspaceId' | 'crm' | 'connection' | 'syncUserId' | 'plan'>,
  ): Promise<ConnectResult> {
    return heartbeatingActivity(async () => {
      const crm = connectionFor(deps, input);
      const { crmAccountId } = await crm.verify();
      stopIfAbandoned();
      // The first connect binds the integration to this account; later ones must reach the same one.
      refuseOtherAccount(
        input,
        (await getBinding(deps.db, input.workspaceId, input.crm))?.crmAccountId ?? null,
        crmAccountId,
      );
      // From here on (the owners list) the account's calls spend its shared budget.
      shareAccountBudget(deps, crm, input.crm, crmAccountId);
      await ensureWorkspace(deps.db, input.workspaceId, input.plan);
      const user = await getUser(deps.db, input.syncUserId);
      if (!user || user.workspace_id !== input.workspaceId) {
        throw ApplicationFailure.nonRetryable(
          `sync user ${input.syncUserId} is not a user of workspace ${input.workspaceId}`,
          FAILURE_TYPE.SyncUserUnknown,
        );
      }
      await recordConnection(deps.db, { ...input, crmAccountId });
      const owners = await crm.listOwners();
      stopIfAbandoned();
      const { linkedByEmail } = await saveCrmOwners(deps.db, input.workspaceId, input.crm, owners);
      deps.logger.info(
        { workspaceId: input.workspaceId, crm: input.crm, crmAccountId, owners: owners.length },
        'CRM connection verified',
      );
      return { crmAccountId, owners: owners.length, ownersLinkedByEmail: linkedByEmail };
    });
  };
}

/** CRM owners change rarely but do change; each pull cycle refreshes them (one paged call). */
export function refreshOwnersActivity(deps: ActivityDeps) {
  return async function refreshOwners(input: {
    workspaceId: string;
    crm: IntegrationInput['crm'];
    connection: string;
  }): Promise<{ owners: number }> {
    return heartbeatingActivity(async () => {
      const owners = await (await boundCrm(deps, input)).listOwners();
      stopIfAbandoned();
      await saveCrmOwners(deps.db, input.workspaceId, input.crm, owners);
      return { owners: owners.length };
    });
  };
}
