// What every connection of one service shares, made once by its endpoint (service-endpoint.ts).
import type { CompiledService } from './compiled-service';
import type { Connection } from './connection';
import type { ConnectionReport } from './connection-report';
import type { ConnectionRegistry } from './registry/connection-registry';
import type { MemberList } from './registry/member-list';
import type { TokenRefresh } from './token-lifetime';

/** What every connection of one service shares: made once per service endpoint. */
export interface ConnectionOptions {
  readonly table: CompiledService;
  /** The log and the observers, for every connection of the service. */
  readonly report: ConnectionReport;
  readonly registry: ConnectionRegistry;
  /** The endpoint's set of its service's open connections. */
  readonly members: MemberList<Connection>;
  /** The service's topic, on engines that fan broadcasts out themselves (registry/topics.ts). */
  readonly serviceTopic: string;
  /** Token expiry and refresh, on a service with `auth`. */
  readonly tokens: TokenRefresh | undefined;
}
