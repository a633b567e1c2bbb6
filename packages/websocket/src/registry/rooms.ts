// Room membership: room name → its members, and each member's rooms so a close leaves them
// all. Joining and leaving take effect at once, synchronously.
const NO_MEMBERS: ReadonlySet<never> = new Set();

/** Rooms of members of type `M` (the registry's connection entries). */
export class Rooms<M> {
  private readonly members = new Map<string, Set<M>>();
  private readonly joined = new Map<M, Set<string>>();

  join(member: M, room: string): void {
    let members = this.members.get(room);
    if (members === undefined) this.members.set(room, (members = new Set()));
    members.add(member);
    let rooms = this.joined.get(member);
    if (rooms === undefined) this.joined.set(member, (rooms = new Set()));
    rooms.add(room);
  }

  leave(member: M, room: string): void {
    const members = this.members.get(room);
    if (members === undefined) return;
    members.delete(member);
    if (members.size === 0) this.members.delete(room);
    const rooms = this.joined.get(member);
    rooms?.delete(room);
    if (rooms?.size === 0) this.joined.delete(member);
  }

  /** Leaves every room (on close). */
  leaveAll(member: M): void {
    const rooms = this.joined.get(member);
    if (rooms === undefined) return;
    for (const room of rooms) {
      const members = this.members.get(room)!;
      members.delete(member);
      if (members.size === 0) this.members.delete(room);
    }
    this.joined.delete(member);
  }

  membersOf(room: string): ReadonlySet<M> {
    return this.members.get(room) ?? NO_MEMBERS;
  }

  roomsOf(member: M): ReadonlySet<string> {
    return this.joined.get(member) ?? NO_MEMBERS;
  }

  roomNames(): IterableIterator<string> {
    return this.members.keys();
  }
}
