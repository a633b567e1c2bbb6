import type { Logger as Pino } from 'pino';
import type { LogFields, Logger } from '@duet/websocket';

/** Duet's `Logger` over a pino logger: fields become pino's merge object, `error` its `err`. */
export function pinoLogger(pino: Pino): Logger {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) => {
    if (!pino.isLevelEnabled(level)) return;
    if (fields === undefined) return pino[level](message);
    // pino serialises `err` (type, message, stack); Duet passes what failed as `error`.
    const { error, ...rest } = fields;
    pino[level](error === undefined ? rest : { ...rest, err: error }, message);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
