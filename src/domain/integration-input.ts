import { z } from 'zod';
import { describeZodError, settingsPatchSchema } from './settings';
import { CRM_NAMES } from './types';

/**
 * The one JSON object an operator pastes into the Temporal UI to start an integration. It names a
 * connection; the token behind it stays in the worker's configuration and never enters history.
 */
export const integrationInputSchema = z
  .object({
    workspaceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'workspaceId must be 1-64 letters, digits, "_" or "-"'),
    crm: z.enum(CRM_NAMES, { errorMap: () => ({ message: `crm must be one of ${CRM_NAMES.join(', ')}` }) }),
    connection: z.string().min(1, 'connection must name a configured CRM connection'),
    syncUserId: z.string().min(1, 'syncUserId must name the workspace user who connected the CRM'),
    plan: z.enum(['free', 'paid'], { errorMap: () => ({ message: 'plan must be "free" or "paid"' }) }),
    settings: settingsPatchSchema.optional(),
  })
  .strict();
export type IntegrationInput = z.infer<typeof integrationInputSchema>;

export function parseIntegrationInput(raw: unknown): IntegrationInput {
  const parsed = integrationInputSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid integration input: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

export function integrationWorkflowId(workspaceId: string, crm: string): string {
  return `integration:${workspaceId}:${crm}`;
}
