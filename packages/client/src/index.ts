// @duet/client on Node (and Bun through its Node compatibility): the transport is `ws`, so
// headers, TLS options and the HTTP status of a refused upgrade are available.
import { clientFactory } from './create-client';
import { nodeTransport } from './node-transport';

/** Creates a client; see `CreateClient`. */
export const createClient = clientFactory(nodeTransport);

// Every other export, by name, is listed once in exports.ts for both entry points.
export * from './exports';
