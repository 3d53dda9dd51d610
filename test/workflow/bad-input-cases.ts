/**
 * What anyone can send from the Temporal UI or the CLI, per message, and what must come of it; the
 * table in docs/bad-input-cases-handlers.md lists the same cases. `args` are the payloads sent:
 * `[]` is the form left empty.
 */
export interface SignalCase {
  signal: string;
  label: string;
  args: unknown[];
  /** The sentence status shows as lastIgnoredSignal. */
  reason: RegExp;
}

const noArgs = /^(pushPending|disconnect) signal ignored: expected \{\} or no argument$/;

export const BAD_SIGNALS: SignalCase[] = [
  { signal: 'pullProgress', label: 'no input', args: [], reason: /^pullProgress signal ignored: seen: Required/ },
  { signal: 'pullProgress', label: 'null', args: [null], reason: /^pullProgress signal ignored: seen: Required/ },
  {
    signal: 'pullProgress',
    label: '5',
    args: [5],
    reason: /^pullProgress signal ignored: Expected object, received number$/,
  },
  { signal: 'pullProgress', label: '"fast"', args: ['fast'], reason: /received string$/ },
  { signal: 'pullProgress', label: '[1, 2]', args: [[1, 2]], reason: /received array$/ },
  {
    signal: 'pullProgress',
    label: '{"seen":"many","total":null}',
    args: [{ seen: 'many', total: null }],
    reason: /^pullProgress signal ignored: seen: Expected number, received string$/,
  },
  {
    signal: 'pullProgress',
    label: '{"seen":1,"total":1,"junk":1}',
    args: [{ seen: 1, total: 1, junk: 1 }],
    reason: /Unrecognized key\(s\) in object: 'junk'$/,
  },
  {
    signal: 'reauthorize',
    label: '5',
    args: [5],
    reason: /^reauthorize signal ignored: Expected object, received number$/,
  },
  {
    signal: 'reauthorize',
    label: '"acme-2"',
    args: ['acme-2'],
    reason: /^reauthorize signal ignored: Expected object, received string$/,
  },
  { signal: 'reauthorize', label: '["acme-2"]', args: [['acme-2']], reason: /received array$/ },
  {
    signal: 'reauthorize',
    label: '{"connection":""}',
    args: [{ connection: '' }],
    reason: /^reauthorize signal ignored: connection: connection must name a configured CRM connection$/,
  },
  {
    signal: 'reauthorize',
    label: '{"connection":5}',
    args: [{ connection: 5 }],
    reason: /^reauthorize signal ignored: connection: Expected string, received number$/,
  },
  {
    signal: 'reauthorize',
    label: '{"junk":1}',
    args: [{ junk: 1 }],
    reason: /Unrecognized key\(s\) in object: 'junk'$/,
  },
  { signal: 'pushPending', label: '5', args: [5], reason: noArgs },
  { signal: 'pushPending', label: '"now"', args: ['now'], reason: noArgs },
  { signal: 'pushPending', label: '[]', args: [[]], reason: noArgs },
  { signal: 'pushPending', label: 'true', args: [true], reason: noArgs },
  { signal: 'disconnect', label: '5', args: [5], reason: noArgs },
  { signal: 'disconnect', label: '"yes"', args: ['yes'], reason: noArgs },
  { signal: 'disconnect', label: '[]', args: [[]], reason: noArgs },
];

/** Signals that need no argument act on their name: these still push. */
export const JUNK_ACCEPTED_SIGNALS: Omit<SignalCase, 'reason'>[] = [
  { signal: 'pushPending', label: 'no input', args: [] },
  { signal: 'pushPending', label: 'null', args: [null] },
  { signal: 'pushPending', label: '{"junk":1}', args: [{ junk: 1 }] },
];

export interface UpdateCase {
  update: string;
  label: string;
  args: unknown[];
  /** The refusal's one sentence. */
  reason: RegExp;
}

const settingsObject = /^invalid settings: settings must be one JSON object, e\.g\. \{"pullIntervalMinutes": 30\}$/;

export const BAD_UPDATES: UpdateCase[] = [
  { update: 'updateSettings', label: 'no input', args: [], reason: settingsObject },
  { update: 'updateSettings', label: 'null', args: [null], reason: settingsObject },
  { update: 'updateSettings', label: '5', args: [5], reason: settingsObject },
  { update: 'updateSettings', label: '"30"', args: ['30'], reason: settingsObject },
  {
    update: 'updateSettings',
    label: '[{"pullIntervalMinutes":30}]',
    args: [[{ pullIntervalMinutes: 30 }]],
    reason: settingsObject,
  },
  {
    update: 'updateSettings',
    label: '{"junk":1}',
    args: [{ junk: 1 }],
    reason: /^invalid settings: Unrecognized key\(s\) in object: 'junk'$/,
  },
  {
    update: 'updateSettings',
    label: '{"pullIntervalMinutes":"30"}',
    args: [{ pullIntervalMinutes: '30' }],
    reason: /^invalid settings: pullIntervalMinutes: Expected number, received string$/,
  },
  {
    update: 'updateSettings',
    label: 'a mapping to an unknown localField',
    args: [{ fieldMapping: { contact: [{ crmField: 'email', localField: 'nope', direction: 'both' }] } }],
    reason: /^invalid settings: contact field mapping names unknown workspace field "nope"/,
  },
  {
    update: 'updateSettings',
    label: 'HubSpot {"push":{"createPeopleAs":"Lead"}}',
    args: [{ push: { createPeopleAs: 'Lead' } }],
    reason: /^invalid settings: push\.createPeopleAs: HubSpot has no leads/,
  },
  { update: 'pullNow', label: '5', args: [5], reason: /^invalid pullNow argument: expected \{\} or no argument$/ },
  {
    update: 'pullNow',
    label: '"now"',
    args: ['now'],
    reason: /^invalid pullNow argument: expected \{\} or no argument$/,
  },
  {
    update: 'pullNow',
    label: '{"kind":"full"}',
    args: [{ kind: 'full' }],
    reason: /^invalid pullNow argument: this command takes no parameters; send \{\}$/,
  },
  {
    update: 'startSyncNow',
    label: '[]',
    args: [[]],
    reason: /^invalid startSyncNow argument: expected \{\} or no argument$/,
  },
  {
    update: 'startSyncNow',
    label: '{"now":true}',
    args: [{ now: true }],
    reason: /^invalid startSyncNow argument: this command takes no parameters; send \{\}$/,
  },
  {
    update: 'pushRecords',
    label: 'no input',
    args: [],
    reason: /^invalid push request: objectKind: objectKind must be "contact" or "account"$/,
  },
  { update: 'pushRecords', label: '5', args: [5], reason: /^invalid push request: send one JSON object/ },
  {
    update: 'pushRecords',
    label: '{"objectKind":"contact"}',
    args: [{ objectKind: 'contact' }],
    reason: /^invalid push request: give either ids or "all": true$/,
  },
  {
    update: 'pushRecords',
    label: '{"objectKind":"contact","ids":["42"]}',
    args: [{ objectKind: 'contact', ids: ['42'] }],
    reason: /^invalid push request: ids\.0: ids must be workspace record ids$/,
  },
  {
    update: 'pushRecords',
    label: '{"objectKind":"lead","all":true}',
    args: [{ objectKind: 'lead', all: true }],
    reason: /objectKind must be "contact" or "account"$/,
  },
  {
    update: 'pushRecords',
    label: '{"objectKind":"contact","all":true,"junk":1}',
    args: [{ objectKind: 'contact', all: true, junk: 1 }],
    reason: /Unrecognized key\(s\) in object: 'junk'$/,
  },
  { update: 'retryFailed', label: '5', args: [5], reason: /^invalid retry request: send \{\} \(every failed record\)/ },
  {
    update: 'retryFailed',
    label: '{"ids":"x"}',
    args: [{ ids: 'x' }],
    reason: /^invalid retry request: ids: Expected array, received string$/,
  },
  {
    update: 'retryFailed',
    label: '{"ids":[]}',
    args: [{ ids: [] }],
    reason: /^invalid retry request: ids: Array must contain at least 1 element/,
  },
  { update: 'noSuchUpdate', label: '{}', args: [{}], reason: /^No registered handler for update: noSuchUpdate$/ },
];

export interface StartCase {
  label: string;
  args: (workspaceId: string) => unknown[];
  /** The message of the run's InvalidInput failure. */
  reason: RegExp;
}

const valid = (workspaceId: string) => ({
  workspaceId,
  crm: 'hubspot',
  connection: `${workspaceId}-conn`,
  syncUserId: 'u-admin',
  plan: 'free',
});
const inputObject = /^invalid integration input: the input must be one JSON object, e\.g\. \{"workspaceId"/;
const carriedObject =
  /^invalid carried state: carried must be the state object a previous run carried \(it is the state/;

export const BAD_STARTS: StartCase[] = [
  { label: 'no input', args: () => [], reason: inputObject },
  { label: 'null', args: () => [null], reason: inputObject },
  { label: '5', args: () => [5], reason: inputObject },
  { label: '"acme"', args: () => ['acme'], reason: inputObject },
  { label: '[]', args: () => [[]], reason: inputObject },
  { label: '{}', args: () => [{}], reason: /^invalid integration input: workspaceId: Required; crm: / },
  { label: 'a junk key', args: (w) => [{ ...valid(w), junk: 1 }], reason: /Unrecognized key\(s\) in object: 'junk'$/ },
  {
    label: 'crm "pipedrive"',
    args: (w) => [{ ...valid(w), crm: 'pipedrive' }],
    reason: /^invalid integration input: crm: crm must be one of hubspot, salesforce$/,
  },
  {
    label: 'settings 5',
    args: (w) => [{ ...valid(w), settings: 5 }],
    reason: /^invalid integration input: settings: settings must be one JSON object/,
  },
  {
    label: 'settings mapping an unknown localField',
    args: (w) => [
      {
        ...valid(w),
        settings: { fieldMapping: { contact: [{ crmField: 'email', localField: 'nope', direction: 'both' }] } },
      },
    ],
    reason: /^invalid integration input: invalid settings: contact field mapping names unknown workspace field "nope"/,
  },
  {
    label: 'HubSpot settings createPeopleAs "Lead"',
    args: (w) => [{ ...valid(w), settings: { push: { createPeopleAs: 'Lead' } } }],
    reason: /^invalid integration input: invalid settings: push\.createPeopleAs: HubSpot has no leads/,
  },
  { label: 'carried 5', args: (w) => [{ ...valid(w), carried: 5 }], reason: carriedObject },
  { label: 'carried "x"', args: (w) => [{ ...valid(w), carried: 'x' }], reason: carriedObject },
  {
    label: 'carried {}',
    args: (w) => [{ ...valid(w), carried: {} }],
    reason: /^invalid carried state: phase: Required; connection: Required/,
  },
  {
    label: 'carried with connectedAt "yesterday"',
    args: (w) => [
      {
        ...valid(w),
        carried: {
          phase: 'syncing',
          connection: `${w}-conn`,
          settings: { pullIntervalMinutes: 15, fieldMapping: { contact: [], account: [] } },
          connectedAt: 'yesterday',
          windowEndsAt: null,
          initialPullDone: true,
          pullSeq: 1,
          nextPullAt: null,
          lastPull: null,
          errors: { ownerSync: 0, failedPulls: 0 },
          manualPullQueued: false,
        },
      },
    ],
    reason: /^invalid carried state: connectedAt: Expected number, received string \(it is the state/,
  },
];
