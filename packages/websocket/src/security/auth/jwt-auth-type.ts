// The 'jwt' entry of `auth`: `{ type: 'jwt', secret | publicKey | jwksUrl, … }` checked and
// built into a JwtAuthenticator at start.
import type { Authenticator } from './authenticator';
import { JwtAuthenticator } from './jwt-authenticator';
import { checkJwtOptions } from './jwt-options';

export function jwtAuthType(options: Record<string, unknown>, fail: (problem: string) => never): Authenticator {
  const checked = checkJwtOptions(options);
  if (typeof checked === 'string') return fail(checked);
  // Checked options are valid options: the constructor's own check reads no file again.
  return new JwtAuthenticator(checked);
}
