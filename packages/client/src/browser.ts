// @duet/client in browsers (and Deno, workers): the platform's WebSocket. Imports nothing from Node;
// dist/browser/duet-client.js is this file bundled with @duet/contract into one ES module.
import { clientFactory } from './create-client';
import { webSocketTransport } from './transport';

/** Creates a client; see `CreateClient`. */
export const createClient = clientFactory(webSocketTransport);

// Every other export, by name, is listed once in exports.ts for both entry points.
export * from './exports';
