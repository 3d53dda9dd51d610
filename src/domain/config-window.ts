/** The configuration window of seeds 001/003: paid plans get 6 hours after connecting. */
export const CONFIGURATION_WINDOW_MS = 6 * 60 * 60 * 1000;

export function configurationWindowEnd(plan: 'free' | 'paid', connectedAtMs: number): number | null {
  return plan === 'paid' ? connectedAtMs + CONFIGURATION_WINDOW_MS : null;
}
