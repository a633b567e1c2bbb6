// Reads the certificates out of a PKCS#12 trust store. Node's TLS takes a PKCS#12 file only
// as a key *and* certificate (`pfx`), and refuses a file of CA certificates alone, which is
// what a trust store is; so this reads such a file itself (RFC 7292): it checks the password
// against the MAC, decrypts the encrypted parts (PBES2 with AES or 3DES, or the older
// PKCS#12 3DES scheme) and returns the certificates as PEM. Keys in the file are ignored.
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

interface Tlv {
  readonly tag: number;
  readonly start: number; // first byte of the content
  readonly end: number; // one past the last byte of the content
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pkcs12TripleDes: '1.2.840.113549.1.12.1.3',
} as const;

const HASHES: Record<string, { name: string; block: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', block: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', block: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', block: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', block: 128 },
};

const PBKDF2_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/** The X.509 certificates of a PKCS#12 file, as PEM; throws when the password is wrong. */
export function readPkcs12Certificates(file: Buffer, password: string): string[] {
  const pfx = children(file, tlv(file, 0));
  const authSafe = children(file, pfx[1]);
  if (oid(file, authSafe[0]) !== OID.data) throw new Error('the file is not a password-protected PKCS#12 store');
  const authSafeBytes = octets(file, children(file, authSafe[1])[0]);
  if (pfx[2] !== undefined) verifyMac(file, pfx[2], authSafeBytes, password);
  const certificates: string[] = [];
  for (const info of children(authSafeBytes, tlv(authSafeBytes, 0))) {
    const [type, explicit] = children(authSafeBytes, info);
    const kind = oid(authSafeBytes, type);
    let contents: Buffer;
    if (kind === OID.data) contents = octets(authSafeBytes, children(authSafeBytes, explicit)[0]);
    else if (kind === OID.encryptedData) contents = decryptContent(authSafeBytes, explicit, password);
    else continue; // enveloped data (public-key protected) is not used for trust stores
    for (const bag of children(contents, tlv(contents, 0))) {
      const [bagId, bagValue] = children(contents, bag);
      if (oid(contents, bagId) !== OID.certBag) continue;
      const [certId, certValue] = children(contents, children(contents, bagValue)[0]);
      if (oid(contents, certId) !== OID.x509Certificate) continue;
      const der = octets(contents, children(contents, certValue)[0]);
      certificates.push(toPem(der));
    }
  }
  if (certificates.length === 0) throw new Error('it holds no X.509 certificate');
  return certificates;
}

function verifyMac(file: Buffer, macData: Tlv, signed: Buffer, password: string): void {
  const [digestInfo, saltTlv, iterationsTlv] = children(file, macData);
  const [algorithm, digestTlv] = children(file, digestInfo);
  const hash = HASHES[oid(file, children(file, algorithm)[0])];
  if (hash === undefined) throw new Error('its MAC uses an unsupported digest');
  const iterations = iterationsTlv === undefined ? 1 : integer(file, iterationsTlv);
  const size = createHash(hash.name).digest().length;
  const key = pkcs12Kdf(hash.name, hash.block, password, bytes(file, saltTlv), iterations, 3, size);
  const expected = bytes(file, digestTlv);
  const actual = createHmac(hash.name, key).update(signed).digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new Error('the password is wrong (the integrity check failed)');
  }
}

function decryptContent(buf: Buffer, explicit: Tlv, password: string): Buffer {
  const encryptedData = children(buf, children(buf, explicit)[0]);
  const [, algorithm, content] = children(buf, encryptedData[1]);
  const [algorithmId, params] = children(buf, algorithm);
  const scheme = oid(buf, algorithmId);
  // [0] IMPLICIT OCTET STRING: primitive (0x80) or, in BER, constructed (0xa0) of pieces.
  const ciphertext =
    content.tag === 0x80 ? bytes(buf, content) : Buffer.concat(children(buf, content).map((piece) => bytes(buf, piece)));
  if (scheme === OID.pbes2) return decryptPbes2(buf, params, ciphertext, password);
  if (scheme === OID.pkcs12TripleDes) {
    const [salt, iterations] = children(buf, params);
    const s = bytes(buf, salt);
    const n = integer(buf, iterations);
    const key = pkcs12Kdf('sha1', 64, password, s, n, 1, 24);
    const iv = pkcs12Kdf('sha1', 64, password, s, n, 2, 8);
    return decrypt('des-ede3-cbc', key, iv, ciphertext);
  }
  throw new Error(`it is encrypted with an unsupported scheme (${scheme}); re-export it with AES (PBES2)`);
}

function decryptPbes2(buf: Buffer, params: Tlv, ciphertext: Buffer, password: string): Buffer {
  const [kdf, encryption] = children(buf, params);
  const [kdfId, kdfParams] = children(buf, kdf);
  if (oid(buf, kdfId) !== OID.pbkdf2) throw new Error('its PBES2 key derivation is not PBKDF2');
  const [salt, iterations, ...rest] = children(buf, kdfParams);
  let prf = 'sha1';
  for (const item of rest) {
    if (item.tag === 0x30) prf = PBKDF2_PRFS[oid(buf, children(buf, item)[0])] ?? '';
  }
  if (prf === '') throw new Error('its PBKDF2 uses an unsupported pseudo-random function');
  const [cipherId, iv] = children(buf, encryption);
  const cipher = CIPHERS[oid(buf, cipherId)];
  if (cipher === undefined) throw new Error('its PBES2 cipher is not supported (AES-CBC or 3DES expected)');
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), bytes(buf, salt), integer(buf, iterations), cipher.keyLength, prf);
  return decrypt(cipher.name, key, bytes(buf, iv), ciphertext);
}

function decrypt(cipher: string, key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer {
  try {
    const decipher = createDecipheriv(cipher, key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new Error('the password is wrong (decryption failed)');
  }
}

/** RFC 7292 appendix B.2: derives `size` bytes of key (id 1), IV (id 2) or MAC key (id 3). */
function pkcs12Kdf(hash: string, v: number, password: string, salt: Buffer, iterations: number, id: number, size: number): Buffer {
  const pass = Buffer.alloc(password.length * 2 + 2); // BMPString, big-endian, NUL-terminated
  for (let i = 0; i < password.length; i++) pass.writeUInt16BE(password.charCodeAt(i), i * 2);
  const fill = (source: Buffer) => {
    const out = Buffer.alloc(source.length === 0 ? 0 : v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length];
    return out;
  };
  const input = Buffer.concat([fill(salt), fill(pass)]);
  const diversifier = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let produced = 0; produced < size; ) {
    let a = createHash(hash).update(diversifier).update(input).digest();
    for (let round = 1; round < iterations; round++) a = createHash(hash).update(a).digest();
    out.push(a);
    produced += a.length;
    const b = Buffer.alloc(v);
    for (let i = 0; i < v; i++) b[i] = a[i % a.length];
    for (let block = 0; block < input.length; block += v) {
      let carry = 1;
      for (let i = v - 1; i >= 0; i--) {
        carry += input[block + i] + b[i];
        input[block + i] = carry & 0xff;
        carry >>>= 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, size);
}

// --- a minimal DER reader: enough to walk the structures above ------------------------------

function tlv(buf: Buffer, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new Error('it is truncated or not a PKCS#12 file');
  const tag = buf[offset];
  let length = buf[offset + 1];
  let start = offset + 2;
  if (length === 0x80) throw new Error('it uses indefinite BER lengths; re-export it as DER');
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 4 || start + count > buf.length) throw new Error('it is not a valid PKCS#12 file');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[start + i];
    start += count;
  }
  if (start + length > buf.length) throw new Error('it is truncated or not a PKCS#12 file');
  return { tag, start, end: start + length };
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const items: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const item = tlv(buf, at);
    items.push(item);
    at = item.end;
  }
  return items;
}

function bytes(buf: Buffer, item: Tlv): Buffer {
  return buf.subarray(item.start, item.end);
}

/** An OCTET STRING's bytes, joining the pieces of a constructed one. */
function octets(buf: Buffer, item: Tlv): Buffer {
  if (item.tag === 0x04) return bytes(buf, item);
  if (item.tag === 0x24) return Buffer.concat(children(buf, item).map((piece) => octets(buf, piece)));
  throw new Error('it is not a valid PKCS#12 file (an OCTET STRING was expected)');
}

function integer(buf: Buffer, item: Tlv): number {
  let value = 0;
  for (let i = item.start; i < item.end; i++) value = value * 256 + buf[i];
  return value;
}

function oid(buf: Buffer, item: Tlv | undefined): string {
  if (item === undefined || item.tag !== 0x06) throw new Error('it is not a valid PKCS#12 file (an OID was expected)');
  const parts = [Math.floor(buf[item.start] / 40), buf[item.start] % 40];
  let value = 0;
  for (let i = item.start + 1; i < item.end; i++) {
    value = value * 128 + (buf[i] & 0x7f);
    if ((buf[i] & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function toPem(der: Buffer): string {
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
