import { resolveCompression } from '../compression';
import { answerDeflateOffers } from './deflate-negotiation';

const fail = (field: string, problem: string) => new Error(`${field} ${problem}`);
const config = (options: object = {}) => resolveCompression(fail, 'compression', options)!;

describe('answerDeflateOffers (RFC 7692, server side)', () => {
  it('answers a bare offer with the bare extension, and no offer with nothing', () => {
    expect(answerDeflateOffers('permessage-deflate', config())).toBe('permessage-deflate');
    expect(answerDeflateOffers(undefined, config())).toBeUndefined();
    expect(answerDeflateOffers('x-webkit-deflate-frame', config())).toBeUndefined();
  });

  it('answers the parameters offered: no context takeover either way, and windows', () => {
    expect(answerDeflateOffers('permessage-deflate; server_no_context_takeover; client_no_context_takeover', config())).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    );
    expect(answerDeflateOffers('permessage-deflate; server_max_window_bits=10; client_max_window_bits=11', config())).toBe(
      'permessage-deflate; server_max_window_bits=10; client_max_window_bits=11',
    );
    // A bare client_max_window_bits only allows the server to name a window: none is named unasked.
    expect(answerDeflateOffers('permessage-deflate; client_max_window_bits', config())).toBe('permessage-deflate');
  });

  it("adds the service's own choices: no server context takeover, a smaller server window, the client's window", () => {
    const own = config({ serverNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 10 });
    expect(answerDeflateOffers('permessage-deflate; client_max_window_bits', own)).toBe(
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10',
    );
    expect(answerDeflateOffers('permessage-deflate; server_max_window_bits=14; client_max_window_bits', own)).toBe(
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10',
    );
    // Never more than the client allows, in either direction.
    expect(answerDeflateOffers('permessage-deflate; server_max_window_bits=9; client_max_window_bits=9', own)).toBe(
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9',
    );
  });

  it('declines offers it must not accept, and takes the next one', () => {
    for (const offer of [
      'permessage-deflate; server_max_window_bits=8',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_max_window_bits=010',
      'permessage-deflate; client_max_window_bits=7',
      'permessage-deflate; server_no_context_takeover=1',
      'permessage-deflate; client_no_context_takeover; client_no_context_takeover',
      'permessage-deflate; mystery',
      'permessage-deflate; =x',
    ]) {
      expect([offer, answerDeflateOffers(offer, config())]).toEqual([offer, undefined]);
      expect(answerDeflateOffers(`${offer}, permessage-deflate`, config())).toBe('permessage-deflate');
    }
  });

  it('declines everything after an unbalanced quote, which swallows the rest of the header', () => {
    expect(answerDeflateOffers('permessage-deflate; a="b, permessage-deflate', config())).toBeUndefined();
  });

  it('never answers a client window of 8: left out (the client may use 15), or declined when the service limits it', () => {
    expect(answerDeflateOffers('permessage-deflate; client_max_window_bits=8', config())).toBe('permessage-deflate');
    expect(answerDeflateOffers('permessage-deflate; client_max_window_bits=8', config({ clientMaxWindowBits: 10 }))).toBeUndefined();
  });

  it('declines an offer that does not let a service limiting the client window name it', () => {
    expect(answerDeflateOffers('permessage-deflate', config({ clientMaxWindowBits: 10 }))).toBeUndefined();
  });

  it('reads quoted values and repeated headers joined by node:http', () => {
    expect(answerDeflateOffers('permessage-deflate; client_max_window_bits="10"', config())).toBe('permessage-deflate; client_max_window_bits=10');
    expect(answerDeflateOffers(['foo', 'permessage-deflate; server_no_context_takeover'], config())).toBe(
      'permessage-deflate; server_no_context_takeover',
    );
  });
});

describe('resolveCompression', () => {
  it('takes true for every default and refuses what zlib or RFC 7692 cannot do, naming the field', () => {
    expect(config()).toEqual({
      threshold: 1024,
      level: 6,
      memLevel: 8,
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: undefined,
      concurrencyLimit: 10,
    });
    expect(resolveCompression(fail, 'compression', true)).toEqual(config());
    expect(resolveCompression(fail, 'compression', undefined)).toBeUndefined();
    expect(resolveCompression(fail, 'compression', false)).toBeUndefined();
    expect(() => config({ level: 0 })).toThrow('compression.level');
    expect(() => config({ serverMaxWindowBits: 8 })).toThrow('compression.serverMaxWindowBits');
    expect(() => config({ clientMaxWindowBits: 16 })).toThrow('compression.clientMaxWindowBits');
    expect(() => config({ serverNoContextTakeover: 'yes' })).toThrow('compression.serverNoContextTakeover');
    expect(() => config({ windowBits: 9 })).toThrow('compression.windowBits');
    expect(() => resolveCompression(fail, 'compression', 'on')).toThrow('compression must be true');
  });
});
