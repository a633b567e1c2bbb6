// Connection ids: random (version 4) UUIDs, each written into one flat string. The backplane
// names connections by id across processes; `randomUUID()` would keep each id as a chain of
// concatenated pieces, and random bytes are drawn for 256 ids at a time, so a handshake makes
// no call into the RNG.
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const idPool = Buffer.alloc(ID_BYTES * 256);
let idOffset = idPool.length;
const idText = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef');

export function newConnectionId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  let at = 0;
  for (let i = 0; i < ID_BYTES; i++) {
    let byte = idPool[idOffset + i];
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
    if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    if (i === 4 || i === 6 || i === 8 || i === 10) idText[at++] = 0x2d; // '-'
    idText[at++] = HEX[byte >> 4];
    idText[at++] = HEX[byte & 0x0f];
  }
  idOffset += ID_BYTES;
  return idText.toString('latin1');
}
