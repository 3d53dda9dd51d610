import type { Phase } from './phase';

/**
 * Which operator commands an integration refuses in which phase, and the one sentence it says.
 * Pure, so the workflow's update validators (which must be synchronous) and unit tests share them.
 * Each returns null when the command is allowed.
 */
export interface CommandContext {
  phase: Phase;
  /** ISO end of the configuration window, when there is one. */
  windowEndsAt: string | null;
  /** Initial-pull progress so far, for the sentence. */
  progress: { done: number; total: number | null } | null;
  needsReauthReason: string | null;
}

function connectionPhase(c: CommandContext): string {
  return `phase ${c.phase}${c.needsReauthReason ? `: ${c.needsReauthReason}` : ''}`;
}

function progressText(c: CommandContext): string {
  return `${c.progress?.done ?? 0} of ${c.progress?.total ?? '?'} records`;
}

const DISCONNECTED = 'the integration is disconnected';

export function pullNowRefusal(c: CommandContext): string | null {
  switch (c.phase) {
    case 'configuring':
      return `manual pull is not available during the configuration window, which ends at ${c.windowEndsAt}`;
    case 'initialPull':
      return `manual pull is not available while the initial pull runs (${progressText(c)})`;
    case 'connecting':
    case 'needsReauth':
      return `manual pull needs a verified CRM connection (${connectionPhase(c)})`;
    case 'disconnected':
      return DISCONNECTED;
    case 'syncing':
      return null;
  }
}

/** Seed 001 "Manual push may be unavailable": no connected CRM, push disabled, initial pull unfinished. */
export function manualPushRefusal(c: CommandContext, kind: 'contact' | 'account', pushEnabled: boolean): string | null {
  switch (c.phase) {
    case 'connecting':
    case 'needsReauth':
      return `manual push needs a connected CRM (${connectionPhase(c)})`;
    case 'disconnected':
      return `manual push needs a connected CRM: ${DISCONNECTED}`;
    case 'configuring':
    case 'initialPull':
      return `manual push is not available until the initial pull finishes (${progressText(c)})`;
    case 'syncing':
      return pushEnabled ? null : `manual push is refused: ${kind} push is disabled in the sync settings`;
  }
}

export function startSyncNowRefusal(c: CommandContext): string | null {
  if (c.phase === 'connecting' || c.phase === 'needsReauth')
    return `sync cannot start before the CRM connection is verified (phase ${c.phase})`;
  if (c.phase === 'disconnected') return DISCONNECTED;
  return null;
}

export function retryFailedRefusal(c: CommandContext): string | null {
  return c.phase === 'disconnected' ? DISCONNECTED : null;
}
