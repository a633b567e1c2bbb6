// The 'basic' entry of `auth`: `{ type: 'basic', users | file, realm? }` checked and built into a
// BasicAuthenticator at start (a users file is read and checked then, never per upgrade).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Authenticator } from './authenticator';
import { BasicAuthenticator, type BasicUser, basicRealmProblem, checkBasicUsers } from './basic-authenticator';

export async function basicAuthType(options: Record<string, unknown>, fail: (problem: string) => never): Promise<Authenticator> {
  const { users, file, realm, ...unknown } = options;
  const extra = Object.keys(unknown);
  if (extra.length > 0) return fail(`has an unknown field '${extra[0]}' (expected users or file, and realm)`);
  if (realm !== undefined) {
    const problem = basicRealmProblem(realm);
    if (problem !== undefined) return fail(`realm ${problem}`);
  }
  if ((users === undefined) === (file === undefined)) return fail('needs exactly one of users and file');
  let checked: readonly BasicUser[] | string;
  if (users !== undefined) {
    checked = checkBasicUsers(users);
    if (typeof checked === 'string') return fail(checked);
  } else {
    if (typeof file !== 'string' || file === '') return fail('file must be a non-empty path');
    const path = resolve(file);
    checked = checkBasicUsers(await readUsersFile(path, fail));
    if (typeof checked === 'string') return fail(`file ${path}: ${checked}`);
  }
  return new BasicAuthenticator(checked, realm === undefined ? {} : { realm: realm as string });
}

async function readUsersFile(path: string, fail: (problem: string) => never): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return fail(`file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return fail(`file ${path} is not valid JSON (${(error as Error).message})`);
  }
}
