// A service's typed `@OnMessage` routes as the router looks one up, once per message. The key
// read from a message is a string JSON.parse has just made, so a Map must hash it before it can
// look: on Bun that cost about 10 ns a message, more than comparing it with a few keys in turn
// (strings of different lengths differ at once). A table of a few keys compares them in the
// order the service declared them; a larger one asks the Map.
import type { MessageRoute } from './dispatcher';

/** Up to this many keys are compared in turn; past it, a Map's hashing is the cheaper search. */
const MAX_COMPARED_KEYS = 8;

export class RouteTable {
  /** The keys compared in turn (none when the table is large), and their routes at the same index. */
  private readonly keys: readonly string[];
  private readonly routes: readonly MessageRoute[];
  /** Only for a large table. */
  private readonly byKey: ReadonlyMap<string, MessageRoute> | undefined;

  constructor(typed: ReadonlyMap<string, MessageRoute>) {
    const compared = typed.size <= MAX_COMPARED_KEYS;
    this.keys = compared ? [...typed.keys()] : [];
    this.routes = compared ? [...typed.values()] : [];
    this.byKey = compared ? undefined : typed;
  }

  /** The route of `key`, if the service has one. */
  find(key: string): MessageRoute | undefined {
    const keys = this.keys;
    for (let at = 0; at < keys.length; at++) if (keys[at] === key) return this.routes[at];
    return this.byKey?.get(key);
  }
}
