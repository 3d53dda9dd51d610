import { ApplicationFailure, condition, upsertSearchAttributes } from '@temporalio/workflow';
import { configurationWindowEnd } from '../../domain/config-window';
import { FAILURE_TYPE } from '../../domain/failure-types';
import { parseIntegrationInput, type IntegrationInput } from '../../domain/integration-input';
import type { Phase } from '../../domain/phase';
import { CRM_ATTR, PHASE_ATTR, WORKSPACE_ATTR } from '../search-attributes';
import { installHandlers } from './handlers';
import { initialPull } from './pull-schedule';
import { connectUntilAuthorized, waitForReauthorize, type Resumed } from './recovery';
import { initialState, minutes, newSession, type CarriedState, type Integration } from './state';
import { syncLoop } from './syncing';

export { MAX_HISTORY_EVENTS, PUSH_LANES } from './push-drain';
export { PUSH_SWEEP_MS } from './syncing';
export type { CarriedState } from './state';

export type IntegrationWorkflowInput = IntegrationInput & { carried?: CarriedState };

/**
 * One integration between a workspace and a CRM, for as long as it stays connected:
 * connect -> configuration window (paid plans, 6 h) -> initial pull -> syncing, forever.
 * Operators drive it with the updates and signals of contract.ts (handlers.ts). Records live in the
 * database and never pass through here: activities return counts.
 */
export async function integrationWorkflow(raw: IntegrationWorkflowInput): Promise<{ phase: Phase }> {
  const { carried, ...rest } = raw ?? ({} as IntegrationWorkflowInput);
  let input: IntegrationInput;
  try {
    input = parseIntegrationInput(rest);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, FAILURE_TYPE.InvalidInput);
  }
  const s = initialState(input, carried);
  const x: Integration = {
    input,
    s,
    session: newSession(),
    setPhase(phase) {
      s.phase = phase;
      upsertSearchAttributes([
        { key: WORKSPACE_ATTR, value: input.workspaceId },
        { key: CRM_ATTR, value: input.crm },
        { key: PHASE_ATTR, value: phase },
      ]);
    },
  };
  x.setPhase(s.phase);
  installHandlers(x);

  if ((s.phase === 'connecting' || s.phase === 'needsReauth') && (await connectFirst(x)) === 'disconnected')
    return finish(x);
  if (s.phase === 'configuring' && (await configurationWindow(x)) === 'disconnected') return finish(x);
  if ((await initialPull(x)) === 'disconnected') return finish(x);
  if (s.nextPullAt === null) {
    s.nextPullAt = Date.now() + minutes(s.settings.pullIntervalMinutes);
    // Writes made before the initial pull finished waited in the outbox: push them now.
    s.push.wanted = true;
  }
  x.setPhase('syncing');
  await syncLoop(x);
  return finish(x);
}

/** Verifies the connection (waiting for reauthorization if needed) and opens the window on paid plans. */
async function connectFirst(x: Integration): Promise<Resumed> {
  const { input, s, session } = x;
  if (
    s.phase === 'needsReauth' &&
    (await waitForReauthorize(x, session.needsReauthReason ?? 'credentials were rejected')) === 'disconnected'
  )
    return 'disconnected';
  if ((await connectUntilAuthorized(x)) === 'disconnected') return 'disconnected';
  s.connectedAt ??= Date.now();
  s.windowEndsAt = configurationWindowEnd(input.plan, s.connectedAt);
  x.setPhase(
    s.windowEndsAt !== null && !s.initialPullDone ? 'configuring' : s.initialPullDone ? 'syncing' : 'initialPull',
  );
  return 'ok';
}

/** Settings may change and manual pull is refused; sync starts by itself at the end, or when asked. */
async function configurationWindow(x: Integration): Promise<Resumed> {
  const { s, session } = x;
  await condition(
    () => session.startSyncRequested || session.disconnectRequested,
    Math.max(0, (s.windowEndsAt ?? 0) - Date.now()),
    { summary: 'configuration window' },
  );
  if (session.disconnectRequested) return 'disconnected';
  x.setPhase('initialPull');
  return 'ok';
}

function finish(x: Integration): { phase: Phase } {
  x.setPhase('disconnected');
  return { phase: x.s.phase };
}
