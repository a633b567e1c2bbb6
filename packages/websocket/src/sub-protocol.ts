// Sub-protocol negotiation: the client's offers are checked in the client's priority order
// and the first one the service supports is selected; no match means no sub-protocol.

/** Returns the selected sub-protocol, or `false` to accept the connection without one. */
export function selectSubProtocol(offered: Iterable<string>, supported: ReadonlySet<string>): string | false {
  if (supported.size === 0) return false;
  for (const protocol of offered) {
    if (supported.has(protocol)) return protocol;
  }
  return false;
}
