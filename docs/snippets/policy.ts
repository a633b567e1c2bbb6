// Policy on each message: a global interceptor that times every handler, a scope a message
// needs, and a rate limit on the service — checked on each message, not only at the upgrade.
import 'reflect-metadata';
import { Container, injectable } from 'inversify';
import {
  Authenticator, Caller, HandlerContext, Interceptor, OnMessage, UpgradeRequest, WebSocketApplication,
  WebSocketService, webSocketModule,
} from '@duet/websocket';

@injectable()
export class Timing implements Interceptor {
  readonly slowest = new Map<string, number>();
  async intercept(context: HandlerContext, next: () => Promise<unknown>) {
    const started = performance.now();
    try {
      return await next(); // the handler runs inside this call; its value is what is sent
    } finally {
      const name = `${context.service.name}.${context.method}`;
      this.slowest.set(name, Math.max(this.slowest.get(name) ?? 0, performance.now() - started));
    }
  }
}

@injectable()
export class TeamAuthenticator implements Authenticator {
  readonly scheme = 'Team';
  authenticate(request: UpgradeRequest) {
    const user = request.headers['x-user'];
    if (typeof user !== 'string') return undefined;
    return { name: user, scopes: user === 'ada' ? ['notes', 'admin'] : ['notes'] };
  }
}

@WebSocketService({
  path: '/notes',
  auth: [TeamAuthenticator],
  rateLimit: { messages: 5, per: 1, burst: 10, key: 'principal' },
})
export class NotesService {
  @OnMessage('read')
  read(caller: Caller, message: { id: number }) {
    return { type: 'note', id: message.id, text: 'Buy milk' };
  }

  @OnMessage('delete', { scopes: ['admin'] })
  delete(caller: Caller, message: { id: number }) {
    return { type: 'deleted', id: message.id };
  }
}

export async function start(port = 8080): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port, services: [NotesService], interceptors: [Timing] }));
  return WebSocketApplication.start(container);
}

if (require.main === module) {
  void start().then((app) => console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`));
}
