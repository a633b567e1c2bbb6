// The connections of one listener per peer address (`maxConnectionsPerIp`): an upgrade takes a
// slot before any check runs and gives it back when its connection is over (refused, left, or
// its WebSocket closed). An address is kept only while it holds a slot, so the map never holds
// more entries than there are sockets.

export class PeerCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Takes a slot for `address`; false when it already holds `limit`. */
  take(address: string): boolean {
    const held = this.counts.get(address) ?? 0;
    if (held >= this.limit) return false;
    this.counts.set(address, held + 1);
    return true;
  }

  /** Gives back one slot of `address`; the address is forgotten at 0. */
  release(address: string): void {
    const held = this.counts.get(address);
    if (held === undefined) return;
    if (held <= 1) this.counts.delete(address);
    else this.counts.set(address, held - 1);
  }
}
