// The `type` of an `auth` entry (`{ type: 'basic', … }`) → what builds its authenticator. The
// compile step looks a type up here and knows no authenticator itself; the built-in types
// ('basic', 'jwt') are listed once, in BUILT_IN_AUTHENTICATOR_TYPES, beside nothing else.
import type { Authenticator } from './authenticator';
import { basicAuthType } from './basic-auth-type';
import { jwtAuthType } from './jwt-auth-type';

/**
 * Builds the authenticator of one `auth` entry from its options (the entry without `type`), once,
 * at start; `fail(problem)` refuses the entry (a ServiceConfigError naming it).
 */
export type AuthenticatorBuilder = (
  options: Record<string, unknown>,
  fail: (problem: string) => never,
) => Authenticator | Promise<Authenticator>;

/** A frozen map of entry types to their builders. */
export class AuthenticatorTypes {
  private readonly builders: ReadonlyMap<string, AuthenticatorBuilder>;

  constructor(builders: Readonly<Record<string, AuthenticatorBuilder>>) {
    this.builders = new Map(Object.entries(builders));
  }

  /** The builder of `type`, or `undefined` for a type nobody registered. */
  builderOf(type: unknown): AuthenticatorBuilder | undefined {
    return typeof type === 'string' ? this.builders.get(type) : undefined;
  }

  /** The known types, quoted for an error message: `'basic' or 'jwt'`. */
  describe(): string {
    const quoted = [...this.builders.keys()].map((type) => `'${type}'`);
    return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
  }
}

/** The types every Duet service understands. */
export const BUILT_IN_AUTHENTICATOR_TYPES = new AuthenticatorTypes({ basic: basicAuthType, jwt: jwtAuthType });
