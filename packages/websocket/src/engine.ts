// Which engine carries an application's connections: `ws` on a node:http server, or Bun's
// native server (`Bun.serve`, uWebSockets inside). Chosen once at start from `webSocketModule`'s
// `engine` option and the runtime, before any port opens.
import { EngineConfigError, ListenerConfigError } from './errors';
import type { ResolvedListenerConfig } from './listener-config';
import { bunTlsOf } from './transport/bun-tls';
import { bunRuntime } from './transport/bun-types';

/** The engine an application runs on (`app.engine`). */
export type EngineName = 'ws' | 'bun';

/**
 * `webSocketModule`'s `engine`: `'auto'` (the default) runs Bun's native server under Bun and
 * `ws` on Node; `'ws'` always runs `ws` (under Bun through its Node compatibility layer).
 */
export type EngineOption = 'auto' | EngineName;

const OPTIONS: ReadonlySet<unknown> = new Set(['auto', 'ws', 'bun']);

/** Whether this process runs under Bun. */
export function runsOnBun(): boolean {
  return bunRuntime() !== undefined;
}

/**
 * The engine for the modules' `engine` options (undefined where a module gave none) and the
 * listeners. Under 'auto', a listener that only node:http can serve (an app's shared `server`,
 * a Node-style `onRequest`, TLS Bun cannot take: PKCS#12, protocol versions, optional mutual
 * TLS) keeps the whole application on ws.
 */
export function chooseEngine(requested: readonly unknown[], listeners: ReadonlyMap<string, ResolvedListenerConfig>): EngineName {
  let option: EngineOption = 'auto';
  for (const value of requested) {
    if (value === undefined) continue;
    if (!OPTIONS.has(value)) throw new EngineConfigError(`must be 'auto', 'ws' or 'bun' (got ${describe(value)})`);
    if (option !== 'auto' && value !== option) throw new EngineConfigError(`is '${option}' in one module and '${String(value)}' in another`);
    option = value as EngineOption;
  }
  if (option === 'ws') return 'ws';
  if (option === 'bun') {
    if (!runsOnBun()) throw new EngineConfigError("is 'bun', which needs the Bun runtime (run the app with bun, or use 'ws' or 'auto')");
    for (const [name, config] of listeners) {
      const unsupported = bunCannotServe(config);
      if (unsupported !== undefined) throw new ListenerConfigError(name, unsupported.field, unsupported.problem);
    }
    return 'bun';
  }
  if (!runsOnBun()) return 'ws';
  for (const config of listeners.values()) if (bunCannotServe(config) !== undefined) return 'ws';
  return 'bun';
}

/** The option of a listener that only the node:http server behind ws can serve, and why. */
function bunCannotServe(config: ResolvedListenerConfig): { field: string; problem: string } | undefined {
  const nodeOnly = "needs the 'ws' engine (node:http); Bun's native server cannot serve it";
  if (config.server !== undefined) return { field: 'server', problem: nodeOnly };
  if (config.onRequest !== undefined) return { field: 'onRequest', problem: nodeOnly };
  if (config.tls !== undefined) {
    const tls = bunTlsOf(config.tls);
    if (typeof tls === 'string') return { field: 'secureSocket', problem: `needs the 'ws' engine: ${tls}` };
  }
  return undefined;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : typeof value;
}
