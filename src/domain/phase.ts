/** Where an integration is in its lifecycle; shown in `status` and as the CrmPhase search attribute. */
export const PHASES = ['connecting', 'needsReauth', 'configuring', 'initialPull', 'syncing', 'disconnected'] as const;
export type Phase = (typeof PHASES)[number];
