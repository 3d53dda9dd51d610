import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ROOT } from './tools';

/**
 * The CRM response schemas under test/schemas (our own, derived from the CRMs' published specs and
 * docs; each file says from which), compiled once with ajv. Strict about the schemas themselves (an
 * unknown keyword or format is an error, so a typo cannot pass everything), not about the
 * allOf-and-extend style they use (properties beside an allOf, required names defined elsewhere).
 */
const SCHEMA_DIR = join(ROOT, 'test/schemas');
const BASE = 'https://schemas.crm-sync.invalid/';

let ajv: Ajv2020 | undefined;
function validator(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({
    strict: true,
    strictTypes: false,
    strictRequired: false,
    allErrors: true,
    allowUnionTypes: true,
  });
  addFormats(ajv);
  for (const crm of readdirSync(SCHEMA_DIR)) {
    for (const file of readdirSync(join(SCHEMA_DIR, crm)).filter((f) => f.endsWith('.json')))
      ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, crm, file), 'utf8')) as object);
  }
  return ajv;
}

/**
 * Asserts that a response body has the shape `ref` names, as `<crm>/<file>#<def>` (e.g.
 * `hubspot/crm-objects.json#record`), with every violation in the failure message.
 */
export function assertShape(ref: string, body: unknown, what: string): void {
  const [file, def] = ref.split('#');
  const validate = validator().getSchema(`${BASE}${file}#/$defs/${def}`);
  assert.ok(validate, `no schema ${ref}`);
  if (validate(body)) return;
  const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}`);
  assert.fail(`${what} does not match ${ref}:\n  ${[...new Set(problems)].slice(0, 10).join('\n  ')}`);
}
