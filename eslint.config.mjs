// ESLint for the sources (src/, test/, bench/), run by scripts/lint.sh on the .ts files directly: no build needed.
//
// The rule set is small on purpose. It checks what the compiler does not:
//   1. the layer rules of ARCHITECTURE.md ("Layers (folders) and who may import whom"), as
//      @typescript-eslint/no-restricted-imports per folder (it can let `import type` through);
//   2. @typescript-eslint/no-floating-promises: a promise nobody awaits loses its rejection
//      (an unhandled rejection kills the worker) or races what comes after it;
//   3. @typescript-eslint/no-misused-promises: a promise where a plain value or a void callback is
//      expected (`if (promise)`, an async listener whose rejection nobody sees);
//   4. @typescript-eslint/no-deprecated: calls into APIs the pinned packages mark @deprecated.
// The recommended sets are not enabled. recommendedTypeChecked reports about 200 findings on this
// code: half are node:test's describe/it "floating" (the runner awaits them; allowed below), the
// rest `any` hygiene and style (no-unsafe-* 64, no-unnecessary-type-assertion 13, no-base-to-string
// 11 on String(unknown), no-unused-vars 5, ...), none about the layers or a lost promise. Formatting
// is Prettier's job, not ESLint's.
//
// The rules 2 to 4 need type information: typescript-eslint reads tsconfig.json through the
// package named `typescript` (6.0.3); the build uses the native 7.0.2 compiler (README, Versions).
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// ---- Layer rules -------------------------------------------------------------------------------
// Imports are matched by their text, so each pattern is a regular expression over the specifier.
// `ours(...)` matches a relative import of one of the project's top-level entries in src/ from any
// depth: './store/db' (from src/worker.ts), '../store/db', '../../store' (from a subfolder), ...
// The names are unique in src/, so a match means "that layer" whatever the importing file's depth.
// The rule sees static imports and re-exports; `import()` and `require()` are not checked (src/ has none).
const ours = (...names) => `^(\\./|(\\.\\./)+)(${names.join('|')})(/|\\.|$)`;
// A bare package specifier (not relative) other than the allowed ones; node built-ins included.
const packagesExcept = (...allowed) => `^(?![./])(?!(${allowed.join('|')})(/|$))`;

const pattern = (regex, message, extra = {}) => ({ regex, caseSensitive: true, message, ...extra });

const LAYERS = 'ARCHITECTURE.md, Layers';

const workflowsDeterministic = pattern(
  ours('store', 'crm', 'sandbox', 'client', 'dev', 'worker', 'logger', 'config'),
  `workflows are deterministic: no I/O; import only the domain, the contract and activity types (${LAYERS}: src/workflows).`,
);
const workflowsActivityTypesOnly = pattern(
  ours('activities'),
  `workflows import activity TYPES only (\`import type\`): activities run in the worker, outside the workflow sandbox (${LAYERS}: src/workflows).`,
  { allowTypeImports: true },
);
const workflowsPackages = pattern(
  packagesExcept('@temporalio/workflow', '@temporalio/common'),
  `workflows are deterministic: no I/O; their only packages are @temporalio/workflow and @temporalio/common (no node built-ins, pg, jsforce, @hubspot/*, pino, @temporalio/activity|worker|client) (${LAYERS}: src/workflows).`,
);

const domainPure = pattern(
  ours('crm', 'store', 'activities', 'workflows', 'sandbox', 'client', 'dev', 'worker', 'logger', 'config'),
  `the domain is pure rules: it imports nothing of ours outside src/domain (${LAYERS}: src/domain).`,
);
const domainPackages = pattern(
  packagesExcept('zod'),
  `the domain is pure rules, no I/O, no clock: its only package is zod (${LAYERS}: src/domain).`,
);

const crmApart = pattern(
  ours('store', 'activities', 'client', 'worker'),
  `src/crm talks to the CRMs and nothing else: it never imports src/store, and neither imports activities, workflows, client or worker (${LAYERS}: src/crm, src/store).`,
);
const storeApart = pattern(
  ours('crm', 'activities', 'client', 'worker'),
  `src/store is the workspace database and nothing else: it never imports src/crm, and neither imports activities, workflows, client or worker (${LAYERS}: src/crm, src/store).`,
);

const noSandbox = pattern(
  ours('sandbox'),
  `production code never imports the CRM sandboxes; only src/sandbox itself and the dev launcher (src/dev) may (${LAYERS}: src/sandbox).`,
);
const noWorkflows = pattern(
  ours('workflows'),
  `nothing imports src/workflows except the worker bundle (src/worker.ts) and the client (src/client), which reach the contract file; tests and bench may (${LAYERS}, last paragraph).`,
);

// Flat config does not merge a rule's options across blocks (the last matching block wins), so
// every folder gets one block with all the patterns that apply to it, and the blocks' files are
// disjoint. Each import matches at most one pattern of its block, so it is reported once.
const restrict = (files, ...patterns) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
});

const layerRules = [
  restrict(['src/workflows/**/*.ts'], workflowsDeterministic, workflowsActivityTypesOnly, workflowsPackages),
  restrict(['src/domain/**/*.ts'], domainPure, domainPackages),
  restrict(['src/crm/**/*.ts'], crmApart, noWorkflows, noSandbox),
  restrict(['src/store/**/*.ts'], storeApart, noWorkflows, noSandbox),
  restrict(['src/activities/**/*.ts', 'src/config.ts', 'src/logger.ts'], noWorkflows, noSandbox),
  restrict(['src/client/**/*.ts', 'src/worker.ts'], noSandbox),
  restrict(['src/sandbox/**/*.ts', 'src/dev/**/*.ts'], noWorkflows),
  // test/ and bench/ are not production code: they may import any layer.
];

// A top-level file added to src/ later falls under none of the blocks above; this catches it (it
// comes first, so a folder's own block replaces it).
const otherSrc = restrict(['src/*.ts'], noWorkflows, noSandbox);

export default defineConfig(
  { ignores: ['lib/**', 'node_modules/**', '.data/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      // One program from tsconfig.json (which includes src, test and bench) rather than
      // projectService: about 34 s of CPU for the whole run against 47 s on this code.
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself awaits and reports.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-deprecated': 'error',
    },
  },
  {
    // A promise returned bare from inside try/finally settles after `finally` has run: the CLI once
    // closed its Temporal client under `status --watch` that way. Scoped to the client, whose
    // commands all hold a connection or a database open around their work.
    files: ['src/client/**/*.ts'],
    rules: { '@typescript-eslint/return-await': ['error', 'in-try-catch'] },
  },
  otherSrc,
  ...layerRules,
);
