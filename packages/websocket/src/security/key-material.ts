// The shapes of TLS key material, the same on a listener (`secureSocket.key`) and a client
// (`secureSocket.key`, `secureSocket.trustStore`): PEM files, or a PKCS#12 store named
// `keyStore` (what proves who we are) or `trustStore` (whom we trust), each `{ path, password }`.

/** A PKCS#12 (.p12/.pfx) file and its password. */
export interface Pkcs12File {
  path: string;
  /** Required by the client, which reads only password-protected stores. */
  password?: string;
}

/** A PEM certificate (chain) and its private key. */
export interface PemKeyPair {
  certFile: string;
  keyFile: string;
  /** Password of an encrypted private key. */
  keyPassword?: string;
}

/** Who we are: PEM files, or a PKCS#12 key store. */
export type KeyMaterial = PemKeyPair | { keyStore: Pkcs12File };
