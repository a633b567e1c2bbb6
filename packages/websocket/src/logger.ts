// The logger Duet writes through. Bind your own under `LOGGER` in the container (pino, say);
// without one, warnings and errors go to the console.

/** Structured fields that travel with a log line (connection id, service, path…). */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** The container token for a custom `Logger`. */
export const LOGGER = Symbol.for('@duet/websocket:logger');

/** The default: warnings and errors to stderr, quieter levels dropped. */
export const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn(message, fields) {
    console.warn(`[duet] ${message}`, ...(fields === undefined ? [] : [fields]));
  },
  error(message, fields) {
    console.error(`[duet] ${message}`, ...(fields === undefined ? [] : [fields]));
  },
};
