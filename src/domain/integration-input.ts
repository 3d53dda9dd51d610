import { z } from 'zod';
import { applySettingsPatch, defaultSettings, describeZodError, settingsPatchSchema } from './settings';
import { CRM_NAMES } from './types';

const INPUT_OBJECT =
  'the input must be one JSON object, e.g. {"workspaceId":"acme","crm":"hubspot","connection":"acme-hubspot","syncUserId":"u-admin","plan":"paid"}';
/**
 * The one JSON object an operator pastes into the Temporal UI to start an integration. It names a
 * connection; the token behind it stays in the worker's configuration and never enters history.
 */
export const integrationInputSchema = z
  .object(
    {
      workspaceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'workspaceId must be 1-64 letters, digits, "_" or "-"'),
      crm: z.enum(CRM_NAMES, { errorMap: () => ({ message: `crm must be one of ${CRM_NAMES.join(', ')}` }) }),
      connection: z.string().min(1, 'connection must name a configured CRM connection'),
      syncUserId: z.string().min(1, 'syncUserId must name the workspace user who connected the CRM'),
      plan: z.enum(['free', 'paid'], { errorMap: () => ({ message: 'plan must be "free" or "paid"' }) }),
      settings: settingsPatchSchema.optional(),
    },
    { invalid_type_error: INPUT_OBJECT, required_error: INPUT_OBJECT },
  )
  .strict();
export type IntegrationInput = z.infer<typeof integrationInputSchema>;

/**
 * The input, or an Error whose message is one line. Settings must also apply (zod checks their
 * shape; applySettingsPatch what zod cannot, e.g. an unknown workspace field, HubSpot "Lead"s), so
 * that everything wrong with a start input is found here, before the workflow acts on it.
 */
export function parseIntegrationInput(raw: unknown): IntegrationInput {
  const parsed = integrationInputSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid integration input: ${describeZodError(parsed.error)}`);
  if (parsed.data.settings) {
    try {
      applySettingsPatch(parsed.data.crm, defaultSettings(parsed.data.crm), parsed.data.settings);
    } catch (err) {
      throw new Error(`invalid integration input: ${(err as Error).message}`);
    }
  }
  return parsed.data;
}

/** Splits a workflow start argument into the operator's input and the state a previous run carried. */
export function splitWorkflowInput(raw: unknown): { input: unknown; carried: unknown } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { input: raw ?? undefined, carried: undefined };
  const { carried, ...input } = raw as Record<string, unknown>;
  return { input, carried };
}

export function integrationWorkflowId(workspaceId: string, crm: string): string {
  return `integration:${workspaceId}:${crm}`;
}
