/**
 * The `Log` port (lib/ports.ts) over a Powertools Logger, for the Lambda handlers: one place,
 * so every function logs fields the same way.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from './ports.ts';

/** Adapts a Powertools Logger to the `Log` port. */
export function toLog(logger: Logger): Log {
  return {
    debug: (message, fields) => logger.debug(message, { ...fields }),
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
  };
}
