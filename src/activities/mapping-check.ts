import { crmFieldNameProblem } from '../domain/crm-field-names';
import {
  crmObjectsFor,
  mappingCheckProblems,
  objectsOfEntry,
  type CrmObjectFields,
  type MappedObject,
  type MappingCheckEntry,
} from '../domain/mapping-check';
import type { CrmName, ObjectKind } from '../domain/types';
import type { CrmPort } from '../crm/port';
import { distinctFieldValues } from '../store/field-values';
import type { ActivityDeps } from './deps';
import { heartbeatingActivity } from './heartbeat';
import { boundCrm } from './bound-crm';

export interface FieldMappingCheck {
  workspaceId: string;
  crm: CrmName;
  connection: string;
  /** The mapping about to be set; a kind left out is not checked. */
  mapping: Partial<Record<ObjectKind, MappingCheckEntry[]>>;
}

/**
 * Checks a field mapping against the CRM before it is set: each CRM field exists on the objects
 * it applies to, the ones the workspace writes are writable, and the workspace's current values fit
 * their picklist, type and length. Returns one sentence per problem (empty: the mapping may be
 * set), never record data; the CRM is asked once per object, not once per field, and a name that is
 * not an identifier of the CRM is never sent to it.
 */
export function checkFieldMappingActivity(deps: ActivityDeps) {
  return async function checkFieldMapping(input: FieldMappingCheck): Promise<{ problems: string[] }> {
    // Read-only: nothing to stop before a write, but its describes end when the attempt is abandoned.
    return heartbeatingActivity(async () => {
      const crm = await boundCrm(deps, input);
      const problems: string[] = [];
      for (const kind of ['contact', 'account'] as const) {
        const entries = input.mapping[kind];
        if (!entries?.length) continue;
        const objects = await describeObjects(crm, input.crm, kind, entries);
        const pushed = entries.filter((e) => e.direction !== 'pull').map((e) => e.localField);
        const values = await distinctFieldValues(deps.db, input.workspaceId, kind, pushed);
        problems.push(...mappingCheckProblems({ crm: input.crm, kind, entries, objects, values }));
      }
      if (problems.length)
        deps.logger.info(
          { workspaceId: input.workspaceId, crm: input.crm, problems: problems.length },
          'field mapping refused by the CRM check',
        );
      return { problems };
    });
  };
}

/** One describe per CRM object of the kind, for the well-formed field names meant for it. */
async function describeObjects(
  crm: CrmPort,
  crmName: CrmName,
  kind: ObjectKind,
  entries: readonly MappingCheckEntry[],
): Promise<CrmObjectFields[]> {
  const targets = crmObjectsFor(crmName, kind);
  const wanted = new Map<MappedObject, Set<string>>(targets.map((t) => [t.object, new Set<string>()]));
  for (const e of entries) {
    if (crmFieldNameProblem(crmName, e.crmField)) continue;
    for (const t of objectsOfEntry(e, targets)) wanted.get(t.object)!.add(e.crmField);
  }
  const described: CrmObjectFields[] = [];
  for (const t of targets) {
    const names = [...wanted.get(t.object)!];
    described.push({ ...t, fields: names.length ? await crm.describeFields(t.object, names) : new Map() });
  }
  return described;
}
