import bcrypt from 'bcryptjs';
import { InvalidArgumentError } from '../../errors';
import { dummyHashLike, hashPassword, passwordHashProblem, verifyPassword } from './password-hash';

// A low cost keeps the suite fast; the format and the code path are those of the default.
const FAST = { ln: 10 };

describe('hashPassword', () => {
  it('makes a salted scrypt hash that names its default parameters', async () => {
    const hash = await hashPassword('s3cret');
    expect(hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('s3cret', hash)).toBe(true);
  });

  it('gives two hashes of one password different salts', async () => {
    const [first, second] = await Promise.all([hashPassword('same', FAST), hashPassword('same', FAST)]);
    expect(first).not.toBe(second);
    expect(first.split('$')[3]).not.toBe(second.split('$')[3]);
  });

  it('records custom parameters in the string, so verifying needs no configuration', async () => {
    const hash = await hashPassword('pw', { ln: 11, r: 4, p: 2 });
    expect(hash.startsWith('$scrypt$ln=11,r=4,p=2$')).toBe(true);
    expect(await verifyPassword('pw', hash)).toBe(true);
  });

  it('takes the default for a parameter given as undefined', async () => {
    expect((await hashPassword('pw', { ln: 10, r: undefined })).startsWith('$scrypt$ln=10,r=8,p=1$')).toBe(true);
  });

  it('refuses parameters outside the safe range', async () => {
    await expect(hashPassword('pw', { ln: 9 })).rejects.toThrow(InvalidArgumentError);
    await expect(hashPassword('pw', { ln: 21 })).rejects.toThrow(/ln must be a whole number from 10 to 20/);
    await expect(hashPassword('pw', { ln: 20, r: 32 })).rejects.toThrow(/more than 1 GiB/);
    await expect(hashPassword('pw', { p: 0 })).rejects.toThrow(/p must be/);
  });
});

describe('verifyPassword', () => {
  it('refuses a wrong password, including one differing only in its last character or case', async () => {
    const hash = await hashPassword('Password1', FAST);
    expect(await verifyPassword('Password2', hash)).toBe(false);
    expect(await verifyPassword('password1', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('hashes non-ASCII passwords as UTF-8', async () => {
    const hash = await hashPassword('pässwörd✓', FAST);
    expect(await verifyPassword('pässwörd✓', hash)).toBe(true);
    expect(await verifyPassword('passwörd✓', hash)).toBe(false);
  });

  it.each(['2a', '2b', '2y'])('accepts a bcrypt $%s$ hash made by bcryptjs', async (version) => {
    const salt = `$${version}$${bcrypt.genSaltSync(4).slice(4)}`;
    const hash = bcrypt.hashSync('hunter2', salt);
    expect(hash.startsWith(`$${version}$04$`)).toBe(true);
    expect(await verifyPassword('hunter2', hash)).toBe(true);
    expect(await verifyPassword('hunter3', hash)).toBe(false);
  });

  it.each([
    ['a plain string', 'hunter2', /not a supported password hash/],
    ['scrypt without parameters', '$scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /malformed scrypt hash/],
    ['scrypt with a cost out of range', '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /ln must be/],
    ['scrypt with a short salt', '$scrypt$ln=10,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /salt shorter than 8 bytes/],
    ['a truncated bcrypt hash', '$2b$10$abcdefghijklmnopqrstuv', /malformed bcrypt hash/],
    ['bcrypt with cost 99', `$2b$99$${'a'.repeat(53)}`, /malformed bcrypt hash/],
  ])('throws InvalidArgumentError for %s', async (_, hash, message) => {
    const failure = verifyPassword('x', hash);
    await expect(failure).rejects.toThrow(InvalidArgumentError);
    await expect(failure).rejects.toThrow(message);
  });
});

describe('passwordHashProblem', () => {
  it('finds nothing wrong with scrypt and bcrypt hashes, and names what is wrong otherwise', async () => {
    expect(passwordHashProblem(await hashPassword('x', FAST))).toBeUndefined();
    expect(passwordHashProblem(bcrypt.hashSync('x', 4))).toBeUndefined();
    expect(passwordHashProblem(42)).toBe('must be a string, got number');
    expect(passwordHashProblem('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA')).toMatch(/not a supported password hash/);
  });
});

describe('dummyHashLike', () => {
  it('keeps the kind and cost of the hash it mirrors, with fresh salt and digest', async () => {
    const scryptHash = await hashPassword('x', { ln: 11, r: 4, p: 1 });
    const dummy = dummyHashLike(scryptHash);
    expect(dummy.startsWith('$scrypt$ln=11,r=4,p=1$')).toBe(true);
    expect(dummy.length).toBe(scryptHash.length);
    expect(dummy).not.toBe(scryptHash);
    const bcryptHash = bcrypt.hashSync('x', `$2a$${bcrypt.genSaltSync(5).slice(4)}`);
    const bcryptDummy = dummyHashLike(bcryptHash);
    expect(bcryptDummy).toMatch(/^\$2a\$05\$[./A-Za-z0-9]{53}$/);
    expect(passwordHashProblem(bcryptDummy)).toBeUndefined();
  });

  it('is matched by no password, not even the one of the hash it mirrors', async () => {
    const scryptHash = await hashPassword('x', FAST);
    expect(await verifyPassword('x', dummyHashLike(scryptHash))).toBe(false);
    const bcryptHash = bcrypt.hashSync('x', 4);
    expect(await verifyPassword('x', dummyHashLike(bcryptHash))).toBe(false);
  });
});
