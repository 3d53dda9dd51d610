import { z } from 'zod';

/** `pushRecords`: push a selection by hand, overriding the push conditions (seed 001). */
export const pushRecordsSchema = z
  .object({
    objectKind: z.enum(['contact', 'account'], {
      errorMap: () => ({ message: 'objectKind must be "contact" or "account"' }),
    }),
    /** Workspace ids; or `all: true` for every record of the kind not yet in the CRM. */
    ids: z
      .array(z.string().uuid('ids must be workspace record ids'))
      .min(1)
      .max(10_000, 'at most 10,000 ids per request; use "all": true for more')
      .optional(),
    all: z.literal(true).optional(),
    /** The pushing user: created records get their linked CRM owner, else the sync user's. */
    userId: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => !!r.ids !== !!r.all, { message: 'give either ids or "all": true' });
export type PushRecordsRequest = z.infer<typeof pushRecordsSchema>;

export const retryFailedSchema = z
  .object({ ids: z.array(z.string().uuid('ids must be workspace record ids')).min(1).max(10_000).optional() })
  .strict();
export type RetryFailedRequest = z.infer<typeof retryFailedSchema>;
