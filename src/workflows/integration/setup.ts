import { parseSetupProblems, type SetupProblem } from '../../domain/crm-setup';
import { FAILURE_TYPE } from '../../domain/failure-types';
import { failureDetail, failureType } from '../failure-type';
import type { Integration } from './state';

/**
 * The set-up problems a CrmSetupIncomplete failure carries (activities/setup-check.ts), or null for
 * any other failure. Read defensively: a detail that does not parse still says "incomplete".
 */
export function setupProblemsOf(err: unknown): SetupProblem[] | null {
  if (failureType(err) !== FAILURE_TYPE.CrmSetupIncomplete) return null;
  const parsed = parseSetupProblems(failureDetail<{ problems?: unknown }>(err)?.problems);
  return parsed?.length
    ? parsed
    : [{ code: 'missingField', subject: 'setup', message: 'the CRM set-up is incomplete' }];
}

/** What the last set-up check found, for `status.setup` (carried, so a new run still shows it). */
export function noteSetup(x: Integration, problems: SetupProblem[], created?: string[]): void {
  x.s.setup = problems;
  if (created?.length) x.s.setupCreated = created;
}
