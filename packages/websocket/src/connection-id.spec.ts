import { newConnectionId } from './connection-id';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('connection ids', () => {
  it('are version-4 UUIDs, distinct across several refills of the random pool', () => {
    const ids = Array.from({ length: 2000 }, () => newConnectionId());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('are independent strings: a later id does not change an earlier one', () => {
    const first = newConnectionId();
    const copy = `${first}`;
    newConnectionId();
    expect(first).toBe(copy);
  });
});
