// The authentication step of an upgrade: try a service's authenticators in order, take the
// first principal, check its scopes; or refuse with 401 naming every scheme offered.
import { AuthenticationError, AuthenticatorError, AuthorizationError } from '../../errors';
import type { Principal, UpgradeRequest } from '../../upgrade-request';
import type { Authenticator } from './authenticator';

/**
 * Authenticates an upgrade with `authenticators`, tried in order; the first to return a
 * principal wins, and that principal must hold every scope of `requiredScopes`.
 *
 * An authenticator that throws `AuthenticationError` (credentials of its scheme, but wrong)
 * does not end the search: the next ones are still tried, because a request can carry
 * credentials for two schemes (a Basic header and a token in the query, say) and one of them
 * may be good. Only when none accepts is the request refused.
 *
 * @returns the accepted principal (a frozen copy); the caller stores it on the request.
 * @throws AuthenticationError (401) when none accepts; its `WWW-Authenticate` header offers
 *   every authenticator's challenge in order, with the error detail of those that refused
 *   the credentials (e.g. `Basic realm="duet", charset="UTF-8", Bearer error="invalid_token"`).
 * @throws AuthorizationError (403) when the principal lacks a required scope (`missingScopes`).
 * @throws whatever else an authenticator throws, unchanged (the listener answers 500), and an
 *   `AuthenticatorError` (also 500) when one returns something that is not a principal.
 * @throws `request.signal.reason` (an `UpgradeAbandonedError`) when the upgrade was answered
 *   or its client left before every authenticator had run.
 */
export async function authenticate(
  authenticators: readonly Authenticator[],
  request: UpgradeRequest,
  requiredScopes: readonly string[],
): Promise<Principal> {
  const refusals = new Map<Authenticator, AuthenticationError>();
  for (const authenticator of authenticators) {
    // The upgrade was answered (timed out) or its client left: the next ones need not run.
    request.signal.throwIfAborted();
    let result: Principal | undefined | null;
    try {
      result = await authenticator.authenticate(request);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      refusals.set(authenticator, error);
      continue;
    }
    // `null` is read as "not mine" too: plain JavaScript authenticators often return it.
    if (result === undefined || result === null) continue;
    const principal = checkedPrincipal(result, authenticator);
    const missingScopes = missingFrom(principal.scopes, requiredScopes);
    if (missingScopes.length > 0) {
      throw new AuthorizationError(
        `'${principal.name}' lacks the required scope${missingScopes.length > 1 ? 's' : ''} ${missingScopes.join(', ')}.`,
        missingScopes,
      );
    }
    return principal;
  }
  throw refusedByAll(authenticators, refusals);
}

/**
 * @internal Why `value` is not a list of scopes (non-empty strings without white space), or
 * `undefined` when it is.
 */
export function scopeListProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be an array of scope strings';
  for (const scope of value) {
    if (typeof scope !== 'string' || scope === '' || /\s/.test(scope)) {
      return `has an invalid scope ${JSON.stringify(scope)} (scopes are non-empty strings without spaces)`;
    }
  }
  return undefined;
}

function missingFrom(granted: readonly string[], required: readonly string[]): string[] {
  if (required.length === 0) return [];
  const grantedSet = new Set(granted);
  return required.filter((scope) => !grantedSet.has(scope));
}

function checkedPrincipal(value: unknown, authenticator: Authenticator): Principal {
  const className = authenticator.constructor?.name || 'An authenticator';
  const who = `${className}.authenticate`;
  const malformed = (problem: string) => new AuthenticatorError(className, `${who} returned ${problem}`);
  if (typeof value !== 'object' || value === null) {
    throw malformed(`${typeof value}; expected a Principal { name, scopes } or undefined`);
  }
  const { name, scopes, claims, expiresAt } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') throw malformed('a principal without a name');
  if (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string')) {
    throw malformed('a principal whose scopes are not an array of strings');
  }
  if (claims !== undefined && (typeof claims !== 'object' || claims === null)) {
    throw malformed('a principal whose claims are not an object');
  }
  if (expiresAt !== undefined && !(expiresAt instanceof Date && Number.isFinite(expiresAt.getTime()))) {
    throw malformed('a principal whose expiresAt is not a valid Date');
  }
  const principal: Principal = {
    name,
    scopes: Object.freeze([...(scopes as string[])]),
    ...(claims === undefined ? {} : { claims: claims as Readonly<Record<string, unknown>> }),
    ...(expiresAt === undefined ? {} : { expiresAt: new Date((expiresAt as Date).getTime()) }),
  };
  return Object.freeze(principal);
}

function refusedByAll(
  authenticators: readonly Authenticator[],
  refusals: ReadonlyMap<Authenticator, AuthenticationError>,
): AuthenticationError {
  const headers: Record<string, string> = {};
  const challenges: string[] = [];
  for (const authenticator of authenticators) {
    const refusal = refusals.get(authenticator);
    let challenge = authenticator.challenge ?? authenticator.scheme;
    if (refusal !== undefined) {
      for (const [name, value] of Object.entries(refusal.headers)) {
        // A refusal's own challenge replaces the plain one: it carries the error detail.
        if (name.toLowerCase() === 'www-authenticate') challenge = value;
        else if (!(name in headers)) headers[name] = value;
      }
    }
    if (challenge !== undefined && challenge !== '' && !challenges.includes(challenge)) challenges.push(challenge);
  }
  if (challenges.length > 0) headers['WWW-Authenticate'] = challenges.join(', ');
  const first = refusals.values().next();
  // With credentials refused, say why (the messages are written for clients); else ask for some.
  const message = first.done === true ? 'Authentication is required.' : first.value.message;
  return new AuthenticationError(message, headers);
}
