import type { MessageRoute } from './dispatcher';
import { RouteTable } from './route-table';

function routesFor(keys: readonly string[]): Map<string, MessageRoute> {
  const handler = () => undefined;
  return new Map(
    keys.map((key) => [
      key,
      { key, method: `on_${key}`, handler, schema: undefined, jsonSchema: undefined, replyJsonSchema: undefined, replySchema: undefined, summary: undefined, onError: undefined },
    ]),
  );
}

/** A key as a message brings it: a string made at run time, not the literal the service declared. */
function fresh(key: string): string {
  return (JSON.parse(JSON.stringify({ key })) as { key: string }).key;
}

describe('a route table', () => {
  it('finds the route of each key of a few, given a key made at run time', () => {
    const typed = routesFor(['echo', 'ping', 'chat.send']);
    const table = new RouteTable(typed);
    for (const key of typed.keys()) expect(table.find(fresh(key))).toBe(typed.get(key));
  });

  it('finds no route for a key the service does not have, however close to one it is', () => {
    const table = new RouteTable(routesFor(['echo', 'ping']));
    for (const key of ['', 'ech', 'echoes', 'Echo', 'pong', 'echo ']) expect(table.find(key)).toBeUndefined();
  });

  it('finds every route of a large table, and none for an unknown key', () => {
    const keys = Array.from({ length: 40 }, (_, at) => `type.${at}`);
    const typed = routesFor(keys);
    const table = new RouteTable(typed);
    for (const key of keys) expect(table.find(fresh(key))).toBe(typed.get(key));
    expect(table.find('type.40')).toBeUndefined();
  });

  it('finds nothing in an empty table', () => {
    expect(new RouteTable(new Map()).find('echo')).toBeUndefined();
  });
});
