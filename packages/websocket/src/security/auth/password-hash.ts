// Password hashes for Basic authentication: scrypt (node:crypto) in a self-describing string,
// and bcrypt hashes made elsewhere. Verifying compares in constant time, and a "dummy" hash
// lets an unknown user cost what a wrong password costs.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { InvalidArgumentError } from '../../errors';

/** The cost of a scrypt hash: N = 2^`ln`, block size `r`, parallelism `p`. */
export interface ScryptParameters {
  /** log2 of the CPU/memory cost N (10–20; default 15, i.e. N = 32768). */
  readonly ln?: number;
  /** Block size (1–32; default 8). */
  readonly r?: number;
  /** Parallelism (1–16; default 1). */
  readonly p?: number;
}

/** The defaults of {@link hashPassword}: about 32 MiB and some tens of milliseconds per hash. */
export const DEFAULT_SCRYPT_PARAMETERS: Required<ScryptParameters> = Object.freeze({ ln: 15, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// 128·N·r bytes is scrypt's working memory; past 1 GiB one login could exhaust a server.
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;
const SCRYPT_FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
// bcrypt: $2a$/$2b$/$2y$, two-digit cost, 22 salt and 31 hash characters of bcrypt's base64.
const BCRYPT_FORMAT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

type ParsedHash =
  | { readonly kind: 'scrypt'; readonly ln: number; readonly r: number; readonly p: number; readonly salt: Buffer; readonly key: Buffer }
  | { readonly kind: 'bcrypt'; readonly cost: number; readonly hash: string };

/**
 * Hashes a password with scrypt and a random 16-byte salt. The result names its own
 * parameters, so hashes made with other costs keep verifying after the defaults change.
 *
 * @example
 * ```ts
 * const passwordHash = await hashPassword('correct horse battery staple');
 * // '$scrypt$ln=15,r=8,p=1$<salt>$<hash>' — store it in the users list of a `basic` auth entry
 * ```
 */
export async function hashPassword(password: string, parameters: ScryptParameters = {}): Promise<string> {
  if (typeof password !== 'string') throw new InvalidArgumentError('hashPassword: the password must be a string');
  const ln = parameters.ln ?? DEFAULT_SCRYPT_PARAMETERS.ln;
  const r = parameters.r ?? DEFAULT_SCRYPT_PARAMETERS.r;
  const p = parameters.p ?? DEFAULT_SCRYPT_PARAMETERS.p;
  const problem = scryptParameterProblem(ln, r, p);
  if (problem !== undefined) throw new InvalidArgumentError(`hashPassword: ${problem}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveScryptKey(password, salt, ln, r, p, KEY_BYTES);
  return formatScrypt(ln, r, p, salt, key);
}

/**
 * True when `password` matches `hash`: a string of {@link hashPassword} or a bcrypt hash
 * (`$2a$`, `$2b$`, `$2y$`; bcrypt reads only the first 72 bytes of a password). The final
 * comparison takes the same time wherever the first differing byte is.
 *
 * @throws InvalidArgumentError when `hash` is not a hash of a supported kind.
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (typeof password !== 'string') throw new InvalidArgumentError('verifyPassword: the password must be a string');
  const parsed = parseOrThrow(hash, 'verifyPassword');
  if (parsed.kind === 'scrypt') {
    const key = await deriveScryptKey(password, parsed.salt, parsed.ln, parsed.r, parsed.p, parsed.key.length);
    return timingSafeEqual(key, parsed.key);
  }
  // bcryptjs re-hashes with the salt (the first 29 characters) and keeps the version letter.
  const computed = Buffer.from(await bcrypt.hash(password, parsed.hash.slice(0, 29)));
  const stored = Buffer.from(parsed.hash);
  return computed.length === stored.length && timingSafeEqual(computed, stored);
}

/**
 * @internal Why `hash` is not a usable password hash (a phrase such as "is a malformed scrypt hash…"),
 * or `undefined` when it is. Used at start to reject a users list before the first login would.
 */
export function passwordHashProblem(hash: unknown): string | undefined {
  const parsed = parsePasswordHash(hash);
  return typeof parsed === 'string' ? parsed : undefined;
}

/**
 * @internal A hash of the same kind and cost as `like` that no password matches: verifying against
 * it is how an unknown user is made to cost what a wrong password costs.
 */
export function dummyHashLike(like: string): string {
  const parsed = parseOrThrow(like, 'dummyHashLike');
  if (parsed.kind === 'scrypt') {
    return formatScrypt(parsed.ln, parsed.r, parsed.p, randomBytes(parsed.salt.length), randomBytes(parsed.key.length));
  }
  // A real salt of the same cost and version, followed by a random (never produced) digest.
  const salt = `${parsed.hash.slice(0, 4)}${bcrypt.genSaltSync(parsed.cost).slice(4)}`;
  return salt + bcrypt.encodeBase64(randomBytes(23), 23).slice(0, 31);
}

// A parsed hash, or why the string is not one (a phrase that follows "the hash …").
function parsePasswordHash(hash: unknown): ParsedHash | string {
  if (typeof hash !== 'string') return `must be a string, got ${hash === null ? 'null' : typeof hash}`;
  if (hash.startsWith('$scrypt$')) return parseScrypt(hash);
  if (/^\$2[aby]\$/.test(hash)) {
    const match = BCRYPT_FORMAT.exec(hash);
    const cost = match === null ? NaN : Number(match[1]);
    if (!(cost >= 4 && cost <= 31)) return 'is a malformed bcrypt hash (expected $2b$, a cost 04–31, $ and 53 characters)';
    return { kind: 'bcrypt', cost, hash };
  }
  return "is not a supported password hash (expected '$scrypt$…' from hashPassword, or bcrypt '$2a$', '$2b$', '$2y$')";
}

function parseScrypt(hash: string): ParsedHash | string {
  const match = SCRYPT_FORMAT.exec(hash);
  if (match === null) return "is a malformed scrypt hash (expected '$scrypt$ln=…,r=…,p=…$<salt>$<hash>')";
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const problem = scryptParameterProblem(ln, r, p);
  if (problem !== undefined) return `is a scrypt hash whose ${problem}`;
  const salt = Buffer.from(match[4], 'base64');
  const key = Buffer.from(match[5], 'base64');
  if (salt.length < 8) return 'is a scrypt hash with a salt shorter than 8 bytes';
  if (key.length < 16 || key.length > 64) return 'is a scrypt hash whose digest is not 16–64 bytes long';
  return { kind: 'scrypt', ln, r, p, salt, key };
}

function parseOrThrow(hash: unknown, where: string): ParsedHash {
  const parsed = parsePasswordHash(hash);
  if (typeof parsed === 'string') throw new InvalidArgumentError(`${where}: the password hash ${parsed}`);
  return parsed;
}

function scryptParameterProblem(ln: number, r: number, p: number): string | undefined {
  if (!Number.isInteger(ln) || ln < 10 || ln > 20) return `ln must be a whole number from 10 to 20, got ${ln}`;
  if (!Number.isInteger(r) || r < 1 || r > 32) return `r must be a whole number from 1 to 32, got ${r}`;
  if (!Number.isInteger(p) || p < 1 || p > 16) return `p must be a whole number from 1 to 16, got ${p}`;
  if (128 * 2 ** ln * r > MAX_SCRYPT_MEMORY) return `cost (ln=${ln}, r=${r}) needs more than 1 GiB of memory`;
  return undefined;
}

function formatScrypt(ln: number, r: number, p: number, salt: Buffer, key: Buffer): string {
  const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
}

function deriveScryptKey(password: string, salt: Buffer, ln: number, r: number, p: number, length: number): Promise<Buffer> {
  const N = 2 ** ln;
  return new Promise((resolve, reject) => {
    // Node refuses scrypt above `maxmem` (32 MiB by default); allow what the parameters need.
    scrypt(password, salt, length, { N, r, p, maxmem: 2 * 128 * N * r + 1024 * 1024 }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}
