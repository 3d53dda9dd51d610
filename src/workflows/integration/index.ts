import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { parseCarriedState } from '../../domain/carried-state';
import { configurationWindowEnd } from '../../domain/config-window';
import { FAILURE_TYPE } from '../../domain/failure-types';
import { parseIntegrationInput, splitWorkflowInput, type IntegrationInput } from '../../domain/integration-input';
import type { Phase } from '../../domain/phase';
import { CRM_ATTR, PHASE_ATTR, WORKSPACE_ATTR } from '../search-attributes';
import { installHandlers } from './handlers';
import { continueWithCarriedState, historyIsLong } from './history-limit';
import { initialPull } from './pull-schedule';
import { connectUntilAuthorized, waitForReauthorize, type Resumed } from './recovery';
import { initialState, minutes, newSession, type CarriedInput, type CarriedState, type Integration } from './state';
import { syncLoop } from './syncing';

export { MAX_HISTORY_EVENTS } from './history-limit';
export { PUSH_LANES } from './push-drain';
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
  const { input, carried } = parseStart(raw);
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

/**
 * Settings may change and manual pull is refused; sync starts by itself at the end, or when asked.
 * Workspace writes signal `pushPending` here too, so a long window continues as new when its
 * history grows long, carrying its end time. Runs whose window began before that replay without it.
 */
async function configurationWindow(x: Integration): Promise<Resumed> {
  const { s, session } = x;
  const bounded = patched('window-continue-as-new');
  const woken = await condition(
    () => session.startSyncRequested || session.disconnectRequested || (bounded && historyIsLong()),
    Math.max(0, (s.windowEndsAt ?? 0) - Date.now()),
    { summary: 'configuration window' },
  );
  if (woken && !session.startSyncRequested && !session.disconnectRequested) {
    await condition(allHandlersFinished);
    // A startSyncNow or disconnect that came in while handlers finished is acted on, not carried away.
    if (!session.startSyncRequested && !session.disconnectRequested) await continueWithCarriedState(x);
  }
  if (session.disconnectRequested) return 'disconnected';
  x.setPhase('initialPull');
  return 'ok';
}

/**
 * The start argument, parsed. Temporal cannot refuse a start, so a bad one ends the run here, at its
 * first workflow task, as Failed (InvalidInput, not retried) with the one-line reason the UI shows;
 * throwing a plain Error instead would fail the task and retry it forever. It is not repaired: a
 * setting the operator gave and we dropped would sync with rules they did not choose, and a junk
 * `carried` replaced by a fresh state would reopen the configuration window and pull everything
 * again. Either way the operator fixes the input and starts the same workflow id again.
 */
function parseStart(raw: unknown): { input: IntegrationInput; carried: CarriedInput | undefined } {
  const split = splitWorkflowInput(raw);
  let input: IntegrationInput;
  try {
    input = parseIntegrationInput(split.input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, FAILURE_TYPE.InvalidInput);
  }
  try {
    return { input, carried: parseCarriedState(split.carried) };
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `${(err as Error).message} (it is the state a previous run hands to the next; start without "carried" to begin afresh)`,
      FAILURE_TYPE.InvalidInput,
    );
  }
}

function finish(x: Integration): { phase: Phase } {
  x.setPhase('disconnected');
  return { phase: x.s.phase };
}
