// The server's side of RFC 7692's negotiation, written here rather than left to ws: ws answers
// an offer it cannot take (an unknown parameter, a window it will not use) with HTTP 400, where
// the RFC has the server decline that offer and go on, without the extension if none is left.
// `answerDeflateOffers` reads the client's Sec-WebSocket-Extensions, picks the first
// permessage-deflate offer the service can accept and writes the parameters of the answer;
// ws is then handed that answer as the only offer, which it accepts as it stands.
import { MAX_WINDOW_BITS, MIN_WINDOW_BITS, type ResolvedCompression } from '../compression';

const EXTENSION = 'permessage-deflate';
// RFC 7230 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const WINDOW_BITS = /^(?:8|9|1[0-5])$/;

/** What one offer asks, as parsed; undefined fields were absent. */
interface DeflateOffer {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true`: the parameter without a value (the client accepts any window the server names). */
  clientMaxWindowBits: number | true | undefined;
}

/**
 * The permessage-deflate answer to the extension offers in `header` (the request's
 * Sec-WebSocket-Extensions, node:http's joined form), e.g. `permessage-deflate;
 * client_max_window_bits=10`; undefined when no offer can be accepted (or none was made): the
 * connection then goes on without the extension. Offers are tried in the client's order of
 * preference; malformed ones are declined one by one, never the whole handshake.
 */
export function answerDeflateOffers(header: string | readonly string[] | undefined, config: ResolvedCompression): string | undefined {
  if (header === undefined) return undefined;
  const joined = typeof header === 'string' ? header : header.join(',');
  if (!joined.includes(EXTENSION)) return undefined;
  for (const element of splitOutsideQuotes(joined, ',')) {
    const offer = parseOffer(element);
    if (offer === undefined) continue;
    const answer = answerOffer(offer, config);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

/** One element of the extension list as a permessage-deflate offer; undefined when it is another extension or malformed. */
function parseOffer(element: string): DeflateOffer | undefined {
  const parts = splitOutsideQuotes(element, ';');
  if (parts[0].trim() !== EXTENSION) return undefined;
  const offer: DeflateOffer = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    const equals = part.indexOf('=');
    const name = (equals === -1 ? part : part.slice(0, equals)).trim();
    const value = equals === -1 ? undefined : unquote(part.slice(equals + 1).trim());
    // A repeated parameter, an unknown one or a bad value: the RFC has the server decline the offer.
    if (!TOKEN.test(name) || seen.has(name) || value === null) return undefined;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== undefined) return undefined;
        offer.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (value !== undefined) return undefined;
        offer.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        if (value === undefined || !WINDOW_BITS.test(value)) return undefined;
        offer.serverMaxWindowBits = Number(value);
        break;
      case 'client_max_window_bits':
        if (value !== undefined && !WINDOW_BITS.test(value)) return undefined;
        offer.clientMaxWindowBits = value === undefined ? true : Number(value);
        break;
      default:
        return undefined;
    }
  }
  return offer;
}

/** The parameters accepting `offer`, or undefined when this service must decline it. */
function answerOffer(offer: DeflateOffer, config: ResolvedCompression): string | undefined {
  // The server's window: at most what the client allows (8 cannot be kept: see MIN_WINDOW_BITS);
  // smaller than 15 is announced even unasked, as RFC 7692 7.1.2.1 allows.
  let serverWindow = config.serverMaxWindowBits;
  if (offer.serverMaxWindowBits !== undefined) {
    if (offer.serverMaxWindowBits < MIN_WINDOW_BITS) return undefined;
    serverWindow = Math.min(serverWindow, offer.serverMaxWindowBits);
  }
  // The client's window may only be named when the offer carries the parameter, and no larger
  // than a value it gives. A service that limits it declines offers that do not let it.
  // An offered 8 is never answered: the decompressor is made with the answered window, and a
  // zlib client asked for 8 compresses with 9 (see MIN_WINDOW_BITS).
  let clientWindow: number | undefined;
  if (config.clientMaxWindowBits !== undefined) {
    if (offer.clientMaxWindowBits === undefined) return undefined;
    clientWindow = offer.clientMaxWindowBits === true ? config.clientMaxWindowBits : Math.min(config.clientMaxWindowBits, offer.clientMaxWindowBits);
    if (clientWindow < MIN_WINDOW_BITS) return undefined;
  } else if (typeof offer.clientMaxWindowBits === 'number' && offer.clientMaxWindowBits >= MIN_WINDOW_BITS) {
    // Echoed: the client said it compresses with no more, and the decompressor can be that small.
    clientWindow = offer.clientMaxWindowBits;
  }
  let answer = EXTENSION;
  if (offer.serverNoContextTakeover || config.serverNoContextTakeover) answer += '; server_no_context_takeover';
  if (offer.clientNoContextTakeover || config.clientNoContextTakeover) answer += '; client_no_context_takeover';
  if (serverWindow !== MAX_WINDOW_BITS || offer.serverMaxWindowBits !== undefined) answer += `; server_max_window_bits=${serverWindow}`;
  if (clientWindow !== undefined) answer += `; client_max_window_bits=${clientWindow}`;
  return answer;
}

/** The value of a parameter: a token, or a quoted string holding one (RFC 6455 9.1); null when neither. */
function unquote(value: string): string | null {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
  return TOKEN.test(value) ? value : null;
}

/** `text` split at `separator` where it is not inside a quoted string. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && quoted) i++;
    else if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
