import type { FieldExplanation, LinkFieldExplanation, MappingSource, RecordExplanation } from './explain';
import type { Winner } from './field-mapping';
import { RULES, type Rule, type WorkspaceChange } from './field-ownership';

/** Prints an explanation (explain.ts) for a person: one block per field, one line per fact. */
export function formatExplanation(x: RecordExplanation): string {
  const lines = [`${x.kind} ${x.id} in workspace ${x.workspaceId}`];
  for (const m of x.mappings) lines.push(mappingLine(m));
  if (!x.mappings.length) lines.push('no CRM is connected: no field is mapped');
  lines.push(
    x.links.length
      ? `linked to ${x.links.map((l) => `${l.crm} ${l.crmObject} ${l.crmId}`).join(', ')}`
      : 'not linked to any CRM record',
  );
  for (const f of x.fields) lines.push('', ...fieldLines(f));
  return lines.join('\n');
}

function mappingLine(m: MappingSource): string {
  return m.from === 'settings'
    ? `${m.crm} field mapping: the integration's settings`
    : `${m.crm} field mapping: the default one, since ${m.reason ?? 'the settings could not be read'}`;
}

function fieldLines(f: FieldExplanation): string[] {
  const lines = [`${f.field}: ${shown(f.value)}`];
  const o = f.origin;
  if (!o) lines.push('  no write of this value is recorded');
  else {
    lines.push(
      `  written ${o.by === 'crm' ? 'from the CRM (record modified' : `by ${writer(o.by)} (at`} ${time(o.at)})`,
    );
    lines.push(`  ${ruleLine(o.rule)}`);
  }
  if (f.change && (!o || o.by === 'crm' || o.at !== f.change.at))
    lines.push(`  last workspace change: ${changeText(f.change)}`);
  for (const l of f.links) lines.push(...linkLines(l, f.change));
  for (const crm of f.unlinked) lines.push(`  ${crm}: no linked record`);
  return lines;
}

function linkLines(l: LinkFieldExplanation, change: WorkspaceChange | null): string[] {
  const facts = [
    l.crmValue
      ? `CRM value ${shown(l.crmValue.value)}, changed ${l.crmValue.changedAt === null ? 'at an unknown time' : time(l.crmValue.changedAt)}`
      : 'CRM value not known yet',
    l.pushedAt === null ? 'never pushed' : `pushed ${time(l.pushedAt)}`,
    l.pending && change ? `workspace change of ${time(change.at)} pending` : 'no workspace change pending',
  ];
  return [
    `  ${l.crm} ${l.crmField} (${directionText(l)}) on ${l.crmObject} ${l.crmId}`,
    `    ${facts.join('; ')}`,
    ...(l.standing ? [`    now: ${ruleLine(l.standing)}`] : []),
  ];
}

function ruleLine(rule: Rule): string {
  return `rule ${rule}: ${RULES[rule]}`;
}

const WINS: Record<Winner, string> = {
  crm: 'the CRM wins',
  workspace: 'the workspace wins',
  latest: 'the later change wins',
};

function directionText(l: LinkFieldExplanation): string {
  const base =
    l.direction === 'pull'
      ? 'CRM -> workspace'
      : l.direction === 'push'
        ? 'workspace -> CRM'
        : `both ways, ${WINS[l.winner ?? 'latest']} a conflict`;
  const auto = [l.autoFill ? 'auto-fill' : '', l.autoOverwrite ? 'auto-overwrite' : ''].filter(Boolean);
  return auto.length ? `${base}, ${auto.join(', ')}` : base;
}

function writer(by: 'manual' | 'enrichment'): string {
  return by === 'manual' ? 'a manual edit' : 'an enrichment update';
}

function changeText(c: WorkspaceChange): string {
  const approved = c.approved ? `, let through by ${c.approved === 'autoFill' ? 'auto-fill' : 'auto-overwrite'}` : '';
  return `${writer(c.kind)} at ${time(c.at)}${approved}`;
}

const shown = (v: string | null) => (v === null ? '(empty)' : JSON.stringify(v));
const time = (ms: number) => new Date(ms).toISOString();
