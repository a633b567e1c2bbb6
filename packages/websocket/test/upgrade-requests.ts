// Real `UpgradeRequest`s for unit specs: a node:http server on 127.0.0.1:0 wraps each request
// it receives, so authenticators are tested against what Node really parses, not a mock.
import { type Server, createServer, request as sendRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpgradeRequest } from '../src/upgrade-request';

const ID_HEADER = 'x-upgrade-request-id';

/** Sends requests to itself and hands back what its server saw, as `UpgradeRequest`s. */
export class UpgradeRequests {
  private readonly waiting = new Map<string, (request: UpgradeRequest) => void>();
  private nextId = 0;

  private constructor(private readonly server: Server) {
    server.on('request', (message, response) => {
      const id = message.headers[ID_HEADER] as string;
      this.waiting.get(id)?.(new UpgradeRequest(message, {}));
      this.waiting.delete(id);
      response.end();
    });
  }

  static async start(): Promise<UpgradeRequests> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new UpgradeRequests(server);
  }

  /** A GET of `path` with `headers`, as the server received it (rejects after 5 s). */
  request(headers: Record<string, string> = {}, path = '/ws'): Promise<UpgradeRequest> {
    const id = String(this.nextId++);
    const { port } = this.server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no request ${id} within 5 s`)), 5000);
      this.waiting.set(id, (request) => {
        clearTimeout(timer);
        resolve(request);
      });
      const outgoing = sendRequest({ host: '127.0.0.1', port, path, headers: { ...headers, [ID_HEADER]: id }, agent: false });
      outgoing.on('response', (response) => response.resume());
      outgoing.on('error', (error) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(error);
      });
      outgoing.end();
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
