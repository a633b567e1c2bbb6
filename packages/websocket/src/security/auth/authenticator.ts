// The one interface every authenticator implements, built-in (Basic, JWT) or user-written.
import type { Principal, UpgradeRequest } from '../../upgrade-request';

/**
 * Decides who is connecting. Return a `Principal` to accept, `undefined` for "not mine"
 * (the next authenticator is tried); throw `AuthenticationError` for credentials that are
 * present but wrong. Implementations bound in the container get their own dependencies.
 *
 * @example
 * ```ts
 * @injectable()
 * class ApiKeyAuthenticator implements Authenticator {
 *   readonly scheme = 'ApiKey';
 *   authenticate(request: UpgradeRequest) {
 *     const key = request.headers['x-api-key'];
 *     return key === 'secret' ? { name: 'service', scopes: ['read'] } : undefined;
 *   }
 * }
 * ```
 */
export interface Authenticator {
  /** The scheme named in `WWW-Authenticate` when every authenticator refused (e.g. `Basic`). */
  readonly scheme?: string;
  /**
   * The whole challenge when the scheme takes parameters (e.g. `Basic realm="duet"`); when
   * absent, `scheme` alone is offered.
   */
  readonly challenge?: string;
  authenticate(request: UpgradeRequest): Principal | undefined | Promise<Principal | undefined>;
}
