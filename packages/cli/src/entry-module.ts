// Loads a project's entry module (TypeScript through ts-node, transpile-only) and finds the
// services it exports, without starting anything: samples and apps guard their start with
// `require.main === module`.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type AsyncApiInfo, type ServiceClass, isWebSocketService } from '@duet/websocket';
import { UsageError } from './command';

/** What an entry module gives the CLI. */
export interface EntryModule {
  /** Its exported `services` array, else every exported `@WebSocketService` class. */
  readonly services: ServiceClass[];
  /** Its exported `asyncApiInfo`, when it has one. */
  readonly info: Partial<AsyncApiInfo>;
}

const TYPESCRIPT = /\.(?:c|m)?tsx?$/;

/** Loads `file` (absolute) and reads its services; a `UsageError` when it has none. */
export function loadEntry(file: string, shown: string): EntryModule {
  if (!existsSync(file)) throw new UsageError(`entry not found: ${shown}`);
  if (TYPESCRIPT.test(file)) registerTypeScript(file);
  const exported = require(file) as Record<string, unknown>;
  const services = servicesOf(exported, shown);
  if (services.length === 0) {
    throw new UsageError(`no services found in ${shown}: export classes decorated with @WebSocketService, or a 'services' array`);
  }
  const info = exported.asyncApiInfo;
  return { services, info: info !== null && typeof info === 'object' ? (info as Partial<AsyncApiInfo>) : {} };
}

function servicesOf(exported: Record<string, unknown>, shown: string): ServiceClass[] {
  if (exported.services === undefined) return [...new Set(Object.values(exported).filter(isWebSocketService))];
  if (!Array.isArray(exported.services)) throw new UsageError(`${shown} exports 'services', but not as an array`);
  exported.services.forEach((service: unknown, index) => {
    if (!isWebSocketService(service)) {
      throw new UsageError(`services[${index}] of ${shown} is not a class decorated with @WebSocketService`);
    }
  });
  return [...exported.services] as ServiceClass[];
}

interface TsNode {
  register(options: { transpileOnly: boolean; projectSearchDir: string }): unknown;
}

// ts-node is the project's (a peer dependency): found from the entry's directory first.
function registerTypeScript(file: string): void {
  let tsNode: TsNode;
  try {
    tsNode = require(require.resolve('ts-node', { paths: [path.dirname(file), process.cwd(), __dirname] })) as TsNode;
  } catch {
    throw new UsageError(`${path.basename(file)} is TypeScript: install ts-node (npm install -D ts-node) to load it`);
  }
  tsNode.register({ transpileOnly: true, projectSearchDir: path.dirname(file) });
}

/** `name`, `version` and `description` of the package.json nearest to `file`, if any. */
export function nearestPackage(file: string): Partial<AsyncApiInfo> {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      const { name, version, description } = JSON.parse(readFileSync(candidate, 'utf8')) as Record<string, unknown>;
      return {
        ...(typeof name === 'string' ? { title: name } : {}),
        ...(typeof version === 'string' ? { version } : {}),
        ...(typeof description === 'string' ? { description } : {}),
      };
    }
    if (path.dirname(dir) === dir) return {};
  }
}
