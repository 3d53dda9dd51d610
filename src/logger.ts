import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import pino, { type Logger } from 'pino';

/**
 * One JSON line per event. Anything that looks like a credential is redacted wherever it appears in
 * a logged object, so a careless `logger.info({ config })` cannot leak a token.
 */
export const REDACT_PATHS = [
  'accessToken',
  '*.accessToken',
  '*.*.accessToken',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'password',
  '*.password',
  'refreshToken',
  '*.refreshToken',
];

export function createLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    opts.destination,
  );
}

/** Routes the Temporal SDK's own logs (worker, core) through the same pino logger. Once per process. */
export function routeTemporalLogs(logger: Logger): void {
  const sdk = logger.child({ component: 'temporal' });
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      const { message, level, meta } = entry;
      sdk[levels[level]]({ ...(meta as LogMetadata) }, message);
    }),
  });
}
