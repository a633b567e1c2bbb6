// A listener's TLS (as security/tls.ts validated it for node:https) in the shape Bun.serve
// takes, or why Bun cannot serve it as Duet promises: Bun reads no PKCS#12 key store and sets
// no protocol versions, and under mutual TLS 'optional' it would let a client whose
// certificate does not verify in without telling Duet (a Request carries no peer certificate).
import type { ServerOptions as TlsServerOptions } from 'node:https';

/** `Bun.serve`'s `tls`: the fields Duet maps. */
export interface BunTlsOptions {
  key?: unknown;
  cert?: unknown;
  passphrase?: string;
  ca?: unknown;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  ciphers?: string;
}

/** Bun's `tls` for `tls`, or the reason it cannot be served (naming the `secureSocket` option). */
export function bunTlsOf(tls: TlsServerOptions): BunTlsOptions | string {
  if (tls.pfx !== undefined) return 'key.keyStore (PKCS#12) cannot be read by Bun: give key.certFile and key.keyFile (PEM)';
  if (tls.minVersion !== undefined || tls.maxVersion !== undefined) return 'protocol.versions cannot be set on Bun';
  if (tls.requestCert === true && tls.rejectUnauthorized === false) {
    return "mutualSsl.verifyClient 'optional' cannot be checked on Bun (it does not say whether a client certificate verified); use 'require'";
  }
  const options: BunTlsOptions = { key: tls.key, cert: tls.cert, passphrase: tls.passphrase };
  if (tls.requestCert === true) Object.assign(options, { ca: tls.ca, requestCert: true, rejectUnauthorized: true });
  if (tls.ciphers !== undefined) options.ciphers = tls.ciphers;
  return options;
}
