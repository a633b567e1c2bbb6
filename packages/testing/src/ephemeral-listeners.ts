// Moves every listener of a container's `webSocketModule`s to an ephemeral port of 127.0.0.1,
// so an app's own composition root can be started in a test without a fixed port.
//
// The definitions are read and re-bound under the core's own module token, taken from
// `@duet/websocket/internal` (never re-declared here, so a rename in the core cannot silently
// break this); each is copied with only its `listeners` changed, so fields the core adds later
// travel through untouched.
import type { Container } from 'inversify';
import { type ModuleDefinition, WEB_SOCKET_MODULE } from '@duet/websocket/internal';

const LOOPBACK = '127.0.0.1';

/**
 * Rewrites each listener with a port of its own to `{ port: 0, host: '127.0.0.1' }` (a
 * listener on a shared `server` is left as it is) and returns the names of the listeners that
 * speak TLS. A container without a `webSocketModule` is left for `start` to report.
 */
export function moveListenersToEphemeralPorts(container: Container): ReadonlySet<string> {
  const secure = new Set<string>();
  if (!container.isBound(WEB_SOCKET_MODULE)) return secure;
  const definitions = container.getAll<ModuleDefinition>(WEB_SOCKET_MODULE);
  container.unbind(WEB_SOCKET_MODULE);
  for (const definition of definitions) {
    const listeners: Record<string, unknown> = {};
    for (const [name, raw] of Object.entries(definition.listeners)) {
      listeners[name] = ephemeral(raw);
      if (isObject(raw) && raw.secureSocket !== undefined) secure.add(name);
    }
    container.bind(WEB_SOCKET_MODULE).toConstantValue(Object.freeze({ ...definition, listeners: Object.freeze(listeners) }));
  }
  return secure;
}

function ephemeral(raw: unknown): unknown {
  // Anything malformed, and shared servers, go through unchanged: start validates them.
  if (!isObject(raw) || raw.server !== undefined) return raw;
  return { ...raw, port: 0, host: LOOPBACK };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}
