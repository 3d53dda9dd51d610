import { z } from 'zod';

/** `pushRecords`: push a selection by hand, overriding the push conditions (seed 001). */
const PUSH_OBJECT = 'send one JSON object, e.g. {"objectKind":"contact","ids":["<uuid>"]}';
export const pushRecordsSchema = z
  .object(
    {
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
    },
    { invalid_type_error: PUSH_OBJECT, required_error: PUSH_OBJECT },
  )
  .strict()
  .refine((r) => !!r.ids !== !!r.all, { message: 'give either ids or "all": true' });
export type PushRecordsRequest = z.infer<typeof pushRecordsSchema>;

const RETRY_OBJECT = 'send {} (every failed record) or {"ids":["<uuid>"]}';
export const retryFailedSchema = z
  .object(
    { ids: z.array(z.string().uuid('ids must be workspace record ids')).min(1).max(10_000).optional() },
    { invalid_type_error: RETRY_OBJECT, required_error: RETRY_OBJECT },
  )
  .strict();
export type RetryFailedRequest = z.infer<typeof retryFailedSchema>;
