import { z } from 'zod';
import { defaultFieldMapping, mappingProblems, objectMapping, type FieldMapping } from './field-mapping';
import { SYNC_DIRECTIONS } from './field-ownership';
import {
  accountSourceOf,
  defaultPushSettings,
  duplicatesOf,
  mergePushSettings,
  pushSettingsPatchSchema,
  pushSettingsSchema,
} from './push-settings';
import { mergeSwitches, removalSettingsSchema } from './removal-settings';
import { OBJECT_KINDS, type CrmName } from './types';

/** Default recurring-pull cadence per CRM (seeds 001 and 003): HubSpot 15 min, Salesforce 30 min. */
export const DEFAULT_PULL_INTERVAL_MINUTES: Record<CrmName, number> = { hubspot: 15, salesforce: 30 };

export const settingsSchema = z
  .object({
    pullIntervalMinutes: z
      .number()
      .int()
      .min(5, 'pullIntervalMinutes must be at least 5')
      .max(1440, 'pullIntervalMinutes must be at most 1440'),
    fieldMapping: z.object({ contact: objectMapping, account: objectMapping }).strict(),
    push: pushSettingsSchema,
    /**
     * Seed 000 step 3: bidirectional (default), CRM -> workspace only (nothing is pushed), workspace
     * -> CRM only (pulls link records but write no workspace values). Absent in older runs' state.
     */
    direction: z.enum(SYNC_DIRECTIONS).optional(),
    /** Deletion and merge sync per object (removal-settings.ts); absent: all off. */
    ...removalSettingsSchema,
  })
  .strict();
export type IntegrationSettings = z.infer<typeof settingsSchema>;

/** What an operator may send to `updateSettings`: any subset of the settings. */
const SETTINGS_OBJECT = 'settings must be one JSON object, e.g. {"pullIntervalMinutes": 30}';
export const settingsPatchSchema = z
  .object(
    {
      pullIntervalMinutes: settingsSchema.shape.pullIntervalMinutes.optional(),
      fieldMapping: z
        .object({ contact: objectMapping.optional(), account: objectMapping.optional() })
        .strict()
        .optional(),
      push: pushSettingsPatchSchema.optional(),
      direction: z.enum(SYNC_DIRECTIONS).optional(),
      ...removalSettingsSchema,
    },
    { invalid_type_error: SETTINGS_OBJECT, required_error: SETTINGS_OBJECT },
  )
  .strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export function defaultSettings(crm: CrmName): IntegrationSettings {
  return {
    pullIntervalMinutes: DEFAULT_PULL_INTERVAL_MINUTES[crm],
    fieldMapping: defaultFieldMapping(crm),
    push: defaultPushSettings(crm),
    direction: 'bidirectional',
  };
}

/** One line that says what is wrong with a zod result, for rejected commands. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** Parses input at an edge, or throws an Error whose message is one line: "invalid <what>: <reasons>". */
export function parseOrThrow<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new Error(`invalid ${what}: ${describeZodError(r.error)}`);
  return r.data;
}

/**
 * Applies a patch to the current settings, or throws an Error whose message is the one-line reason.
 * Used by the workflow's update validator, so it must stay synchronous and pure.
 */
export function applySettingsPatch(crm: CrmName, current: IntegrationSettings, patch: unknown): IntegrationSettings {
  const parsed = settingsPatchSchema.safeParse(patch);
  if (!parsed.success) throw new Error(`invalid settings: ${describeZodError(parsed.error)}`);
  const mapping: FieldMapping = { ...current.fieldMapping, ...stripUndefined(parsed.data.fieldMapping ?? {}) };
  const problems = OBJECT_KINDS.flatMap((k) => mappingProblems(k, mapping[k], crm));
  if (problems.length) throw new Error(`invalid settings: ${problems.join('; ')}`);
  let push = current.push ?? defaultPushSettings(crm);
  try {
    if (parsed.data.push) push = mergePushSettings(crm, push, parsed.data.push);
  } catch (err) {
    throw new Error(`invalid settings: ${(err as Error).message}`);
  }
  let deletion, merge;
  try {
    deletion = mergeSwitches(crm, 'deletion', current.deletion, parsed.data.deletion);
    merge = mergeSwitches(crm, 'merge', current.merge, parsed.data.merge);
  } catch (err) {
    throw new Error(`invalid settings: ${(err as Error).message}`);
  }
  return {
    pullIntervalMinutes: parsed.data.pullIntervalMinutes ?? current.pullIntervalMinutes,
    fieldMapping: mapping,
    push,
    direction: parsed.data.direction ?? current.direction ?? 'bidirectional',
    // Absent stays absent (all off), so settings carried from older runs read the same.
    ...(deletion ? { deletion } : {}),
    ...(merge ? { merge } : {}),
  };
}

/** What a settings change means for records the CRM rejected: they are pushed again by themselves. */
export function pushRulesChanged(crm: CrmName, before: IntegrationSettings, after: IntegrationSettings): boolean {
  // Settings carried from older runs lack later fields: read with their defaults, so an upgrade alone
  // is no change (and a replayed history decides as it did).
  const rules = (x: IntegrationSettings) =>
    JSON.stringify([
      x.fieldMapping,
      { ...x.push, accountSource: accountSourceOf(crm, x.push), duplicates: duplicatesOf(x.push) },
      x.direction ?? 'bidirectional',
    ]);
  return rules(before) !== rules(after);
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
