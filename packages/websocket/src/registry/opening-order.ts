// The open connections of several services as one list, in the order they opened: `list()`,
// iteration and broadcasts to everyone read them so, with no list of their own kept per
// connection (each service's list is in that order already: member-list.ts; registry/connection-registry.ts).
import type { RegistryMember } from './connection-registry';
import type { ReadonlyMemberList } from './member-list';

/**
 * The members of every list, in the order they opened: the lists merged by `openedAs` (each list
 * is in that order already). A member closed while this is read is left out, as a Map's
 * iterator leaves out what is deleted.
 */
export function inOpeningOrder(lists: readonly ReadonlyMemberList<RegistryMember>[]): IterableIterator<RegistryMember> {
  // One service: its own list, read as it is (a broadcast to it reads no generator).
  return lists.length === 1 ? lists[0]!.values() : merged(lists);
}

function* merged(lists: readonly ReadonlyMemberList<RegistryMember>[]): IterableIterator<RegistryMember> {
  const cursors = lists.map((list) => list.values());
  const heads = cursors.map((cursor) => cursor.next());
  for (;;) {
    let first = -1;
    for (let at = 0; at < heads.length; at++) {
      const head = heads[at]!;
      if (!head.done && (first === -1 || head.value.openedAs < (heads[first]!.value as RegistryMember).openedAs)) first = at;
    }
    if (first === -1) return;
    const member = heads[first]!.value as RegistryMember;
    heads[first] = cursors[first]!.next();
    if (member.listed) yield member;
  }
}
