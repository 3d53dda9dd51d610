/** Attempts the activities that meet CRM and database outages make before the workflow hears of it. */
export const ACTIVITY_ATTEMPTS = 5;
