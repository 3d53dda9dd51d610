import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPE } from '../domain/failure-types';
import { callMissingScope, type SetupProblem, type SetupReport } from '../domain/crm-setup';
import type { IntegrationInput } from '../domain/integration-input';
import type { PushSettings } from '../domain/push-settings';
import { isCrmError, oneLineCause } from '../crm/errors';
import type { CrmPort } from '../crm/port';
import { ensureWorkspace, getBinding, getUser, recordConnection, saveCrmOwners } from '../store/workspace-store';
import { boundCrm, connectionFor, refuseOtherAccount } from './bound-crm';
import { shareAccountBudget } from './rate-budget';
import type { ActivityDeps } from './deps';
import { heartbeatingActivity, stopIfAbandoned } from './heartbeat';
import { setupReport } from './setup-check';

export interface ConnectResult {
  crmAccountId: string;
  owners: number;
  ownersLinkedByEmail: number;
  /** What the CRM lacks for pushes (status.setup), when push settings were given; empty: complete. */
  setup?: SetupProblem[];
  /** What the set-up check created itself (HubSpot properties), one sentence each. */
  setupCreated?: string[];
}

/**
 * Verifies the credentials behind the connection name, that they reach the CRM and account the
 * integration is bound to (bound-crm.ts), and records who the sync user is.
 */
export function connectActivity(deps: ActivityDeps) {
  return async function connect(
    input: Pick<IntegrationInput, 'workspaceId' | 'crm' | 'connection' | 'syncUserId' | 'plan'> & {
      /** The integration's push settings, for the set-up check; absent from older workflow code (no check). */
      push?: PushSettings;
    },
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
      // From here on (the owners list) the account's calls spend its shared budget, and so does the
      // verify call just made, which the CRM counted already.
      shareAccountBudget(deps, crm, input.crm, crmAccountId, 1);
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
      const result: ConnectResult = { crmAccountId, owners: owners.length, ownersLinkedByEmail: linkedByEmail };
      if (!input.push) return result;
      const setup = await connectSetup(crm, input.push);
      stopIfAbandoned();
      if (setup.problems.length || setup.created.length)
        deps.logger.info(
          { workspaceId: input.workspaceId, crm: input.crm, problems: setup.problems.length, created: setup.created },
          setup.problems.length ? 'CRM set-up incomplete: pushes wait' : 'CRM set-up completed',
        );
      return { ...result, setup: setup.problems, setupCreated: setup.created };
    });
  };
}

/** The set-up report; a scope the check itself lacks (listing properties) is one of its problems. */
async function connectSetup(crm: CrmPort, push: PushSettings): Promise<SetupReport> {
  try {
    return await setupReport(crm, push);
  } catch (err) {
    if (isCrmError(err) && err.kind === 'setup')
      return { problems: [callMissingScope(oneLineCause(err.message), err.details.scopes ?? [])], created: [] };
    throw err;
  }
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
