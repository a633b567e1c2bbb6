import { MemberList } from './member-list';

interface Member {
  readonly openedAs: number;
}

function opened(count: number, from = 1): Member[] {
  return Array.from({ length: count }, (_, at) => ({ openedAs: from + at }));
}

function listOf(members: Member[]): MemberList<Member> {
  const list = new MemberList<Member>();
  for (const member of members) list.add(member);
  return list;
}

describe('a member list', () => {
  it('reads its members in the order they were added, and counts the ones not deleted', () => {
    const members = opened(5);
    const list = listOf(members);
    expect(list.delete(members[1]!)).toBe(true);
    expect(list.delete(members[3]!)).toBe(true);
    expect([...list]).toEqual([members[0], members[2], members[4]]);
    expect([...list.values()]).toEqual([members[0], members[2], members[4]]);
    expect(list.size).toBe(3);
  });

  it('answers false for a member it does not hold: one deleted already, or one never added', () => {
    const members = opened(3);
    const list = listOf(members);
    expect(list.delete(members[1]!)).toBe(true);
    expect(list.delete(members[1]!)).toBe(false);
    expect(list.delete({ openedAs: 2 })).toBe(false);
    expect(list.delete({ openedAs: 99 })).toBe(false);
    expect(list.size).toBe(2);
  });

  it('keeps finding members once most of them are deleted and the list compacted', () => {
    const members = opened(200);
    const list = listOf(members);
    for (const member of members) if (member.openedAs % 10 !== 0) expect(list.delete(member)).toBe(true);
    expect(list.size).toBe(20);
    expect([...list].map((member) => member.openedAs)).toEqual(Array.from({ length: 20 }, (_, at) => (at + 1) * 10));
    for (const member of members) if (member.openedAs % 10 === 0) expect(list.delete(member)).toBe(true);
    expect([...list]).toEqual([]);
    expect(list.size).toBe(0);
  });

  it('while read, leaves out the members deleted meanwhile and reads the ones added meanwhile, as a Set does', () => {
    const members = opened(100);
    const list = listOf(members);
    const later = opened(3, 101);
    const seen: number[] = [];
    for (const member of list) {
      seen.push(member.openedAs);
      if (member.openedAs === 10) {
        // Enough deleted to compact the list under the reader, including members it has not reached.
        for (const other of members) if (other.openedAs > 10 && other.openedAs <= 90) list.delete(other);
        for (const other of later) list.add(other);
      }
    }
    expect(seen).toEqual([...Array.from({ length: 10 }, (_, at) => at + 1), ...Array.from({ length: 10 }, (_, at) => 91 + at), 101, 102, 103]);
  });

  it('goes on after the member just read, when that member is deleted while it is read', () => {
    const members = opened(80);
    const list = listOf(members);
    const seen: number[] = [];
    for (const member of list) {
      seen.push(member.openedAs);
      list.delete(member);
    }
    expect(seen).toEqual(members.map((member) => member.openedAs));
    expect(list.size).toBe(0);
  });
});
