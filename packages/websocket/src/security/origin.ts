// The Origin check: the defence against cross-site WebSocket hijacking. Browsers always send
// `Origin` on a WebSocket handshake and a page cannot forge it, so a service that relies on
// cookies must accept only the origins it trusts. Non-browser clients may omit the header.
import type { IncomingHttpHeaders } from 'node:http';
import { ServiceConfigError } from '../errors';

/** Decides whether an `Origin` header value may connect. */
export interface OriginPolicy {
  allows(origin: string | undefined): boolean;
}

/**
 * Whether every origin a request names may connect: `Origin`, and `Sec-WebSocket-Origin`,
 * which version 8 clients (the hybi-08 draft, still accepted by ws) send instead.
 */
export function allowsRequest(policy: OriginPolicy, headers: IncomingHttpHeaders): boolean {
  const legacy = headers['sec-websocket-origin'];
  return policy.allows(headers.origin) && (legacy === undefined || policy.allows(typeof legacy === 'string' ? legacy : String(legacy)));
}

/**
 * Compiles `allowedOrigins` (`https://app.example.com`, `https://*.example.com`, or `*` for
 * any). A request without `Origin` (not a browser, so not a hijacking page) is allowed;
 * `null` origins (sandboxed frames, files) are refused unless listed.
 */
export function compileOriginPolicy(
  serviceName: string,
  allowedOrigins: readonly string[] | undefined,
): OriginPolicy | undefined {
  if (allowedOrigins === undefined) return undefined;
  const exact = new Set<string>();
  const wildcards: { scheme: string; suffix: string; port: string }[] = [];
  for (const entry of allowedOrigins) {
    if (entry === '*') return { allows: () => true };
    const wildcard = /^(https?):\/\/\*\.([a-z0-9.-]+)(:\d+)?$/i.exec(entry);
    if (wildcard) {
      wildcards.push({ scheme: wildcard[1].toLowerCase(), suffix: `.${wildcard[2].toLowerCase()}`, port: wildcard[3] ?? '' });
    } else if (entry === 'null' || /^https?:\/\/[a-z0-9.-]+(:\d+)?$/i.test(entry) || /^https?:\/\/\[[0-9a-f:]+\](:\d+)?$/i.test(entry)) {
      exact.add(entry.toLowerCase());
    } else {
      throw new ServiceConfigError(
        serviceName,
        'allowedOrigins',
        `has '${entry}', which is not an origin (scheme://host[:port], optionally scheme://*.domain)`,
      );
    }
  }
  return {
    allows(origin) {
      if (origin === undefined) return true;
      const normalised = origin.toLowerCase();
      if (exact.has(normalised)) return true;
      const parsed = /^(https?):\/\/([a-z0-9.-]+)(:\d+)?$/.exec(normalised);
      if (parsed === null) return false;
      const [, scheme, host, port = ''] = parsed;
      return wildcards.some((rule) => rule.scheme === scheme && rule.port === port && host.endsWith(rule.suffix));
    },
  };
}
