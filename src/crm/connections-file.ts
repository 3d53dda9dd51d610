import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';

/**
 * Reading CRM_CONNECTIONS_FILE: `{"<connection name>": {"crm": "hubspot", "accessToken": ...}, ...}`.
 * It holds every connection's token, so no message made here quotes the file's text or a value from
 * it: only the file's path, entry names, field names and what was expected.
 */
const connectionSchema = z
  .discriminatedUnion('crm', [
    z.object({ crm: z.literal('hubspot'), accessToken: z.string().min(1), baseUrl: z.string().url().optional() }),
    z.object({
      crm: z.literal('salesforce'),
      accessToken: z.string().min(1),
      instanceUrl: z.string().url(),
      /** Share of the daily API allowance the sync leaves for the customer's other integrations. */
      apiReservePercent: z.number().min(0).max(90).optional(),
      /**
       * The OAuth refresh-token flow: with these, an expired session (2 hours of inactivity by
       * default, or ended by an admin) is renewed by the adapter instead of waiting in needsReauth.
       * The connected app's consumer key and secret; loginUrl defaults to https://login.salesforce.com
       * (https://test.salesforce.com for a sandbox org, or the org's My Domain).
       */
      refreshToken: z.string().min(1).optional(),
      clientId: z.string().min(1).optional(),
      clientSecret: z.string().min(1).optional(),
      loginUrl: z.string().url().optional(),
    }),
  ])
  .superRefine((c, ctx) => {
    if (c.crm === 'salesforce' && c.refreshToken && !c.clientId)
      ctx.addIssue({
        code: 'custom',
        path: ['clientId'],
        message: "is needed with a refreshToken (the connected app's consumer key)",
      });
  });
export type ConnectionConfig = z.infer<typeof connectionSchema>;

/** One entry of the file: its configuration, or why it cannot be used (one line, no secrets). */
export type ConnectionEntry =
  { config: ConnectionConfig; problem?: undefined } | { config?: undefined; problem: string };

export type ConnectionsFile = { ok: true; entries: Map<string, ConnectionEntry> } | { ok: false; problem: string };

export function readConnectionsFile(path: string): ConnectionsFile {
  let text: string;
  try {
    const problem = permissionProblem(path);
    if (problem) return { ok: false, problem };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    // The code (ENOENT, EACCES) says it all; the error's message would repeat the path in its own words.
    return { ok: false, problem: `connections file ${path} cannot be read (${(err as NodeJS.ErrnoException).code})` };
  }
  const parsed = parseJsonQuietly(text);
  if (!parsed.ok) return { ok: false, problem: `connections file ${path} is not valid JSON${parsed.where}` };
  const raw = parsed.value;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, problem: `connections file ${path} must hold one JSON object: connection name -> connection` };
  const entries = new Map<string, ConnectionEntry>();
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const r = connectionSchema.safeParse(value);
    entries.set(
      name,
      r.success
        ? { config: r.data }
        : { problem: `connection "${name}" in ${path} is invalid: ${describeIssues(r.error)}` },
    );
  }
  return { ok: true, entries };
}

/**
 * Refused, not merely warned about, when group or others have any access (POSIX): the file holds
 * every customer's CRM token, so a readable file is a leak already happening, and a warning in a
 * busy log goes unseen — ssh treats private keys the same way. Write access for others is refused
 * too: whoever can write it can point a connection at their own server. The refusal is retried
 * (see connections.ts), so `chmod 600` is all it takes to resume. Windows has no such mode bits.
 */
function permissionProblem(path: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `connections file ${path} is accessible to group or others (mode ${mode.toString(8).padStart(4, '0')}) and holds CRM tokens; run chmod 600 on it`;
}

/**
 * JSON.parse's own message quotes the text around the mistake (Node 20: `..."ssToken": pat-na1-SE"...
 * is not valid JSON`), which here is token text; keep only where the mistake is.
 */
export function parseJsonQuietly(text: string): { ok: true; value: unknown } | { ok: false; where: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const at = /at position (\d+)/.exec((err as Error).message);
    if (!at) return { ok: false, where: '' };
    const before = text.slice(0, Number(at[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return { ok: false, where: ` (line ${line}, column ${column})` };
  }
}

/** Field paths and what they needed; zod's messages for a few issue kinds quote the value received. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const what =
        i.code === 'invalid_type'
          ? i.received === 'undefined'
            ? 'is missing'
            : `must be ${i.expected === 'object' ? 'an' : 'a'} ${i.expected}`
          : i.code === 'invalid_union_discriminator'
            ? 'must be "hubspot" or "salesforce"'
            : i.code === 'invalid_string'
              ? 'must be a URL'
              : i.code === 'too_small' || i.code === 'too_big'
                ? i.message.toLowerCase()
                : i.code === 'custom'
                  ? i.message
                  : 'is not valid';
      return i.path.length ? `${i.path.join('.')} ${what}` : `the entry ${what}`;
    })
    .join('; ');
}

/** Every reason the file, or an entry of it, cannot be used: the worker logs them when it starts. */
export function connectionsFileProblems(path: string): string[] {
  const file = readConnectionsFile(path);
  if (!file.ok) return [file.problem];
  return [...file.entries.values()].flatMap((e) => (e.problem ? [e.problem] : []));
}
