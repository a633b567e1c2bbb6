// The settings of permessage-deflate (RFC 7692) as a service (`@duet/websocket`) and both
// clients take them: one shape on both ends of the wire, validated by each where it is used.

/** permessage-deflate settings; every field is optional. */
export interface CompressionOptions {
  /**
   * Messages smaller than this many bytes go out uncompressed (RSV1 clear), even when the
   * extension is negotiated: deflating a short message costs more than it saves. Default 1024.
   */
  threshold?: number;
  /** zlib's compression level, 1 (fastest) to 9 (smallest). Default 6, zlib's own. */
  level?: number;
  /** zlib's memory level, 1 to 9: memory for speed. Default 8, zlib's own. */
  memLevel?: number;
  /**
   * The server resets its compressor after every message. On a service this is what lets a
   * broadcast be compressed once and the same frame written to every socket; it costs ratio
   * on repetitive traffic. Offers asking for it are accepted either way. Default false.
   */
  serverNoContextTakeover?: boolean;
  /** The client resets its compressor after every message (the server's decompressor follows). Default false. */
  clientNoContextTakeover?: boolean;
  /** The largest LZ77 window the server compresses with, as bits: 9 to 15. Default 15. */
  serverMaxWindowBits?: number;
  /**
   * The window the client must compress with, 9 to 15 bits: bounds what the peer's
   * decompressor keeps per socket. On a service, an offer that does not let the server ask for
   * it is declined (the connection goes on uncompressed). Default: whatever the client uses.
   */
  clientMaxWindowBits?: number;
  /** zlib operations that may run at once in this process (ws's limiter, shared by all). Default 10. */
  concurrencyLimit?: number;
}
