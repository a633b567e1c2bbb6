// Who may connect: browsers only from our own origin; Basic, JWT or an API key; scope 'chat'.
import 'reflect-metadata';
import { Container, injectable } from 'inversify';
import {
  AuthenticationError, Authenticator, Caller, OnOpen, UpgradeRequest, WebSocketApplication, WebSocketService,
  webSocketModule,
} from '@duet/websocket';

const JWT_SECRET = process.env.JWT_SECRET ?? 'development only: 32 or more bytes of secret';

@injectable()
export class ApiKeyAuthenticator implements Authenticator {
  readonly scheme = 'ApiKey';
  authenticate(request: UpgradeRequest) {
    const key = request.headers['x-api-key'];
    if (key === undefined) return undefined; // not mine: the next authenticator may try
    if (key !== process.env.API_KEY) throw new AuthenticationError('unknown API key'); // 401
    return { name: 'robot', scopes: ['chat'] };
  }
}

@WebSocketService({
  path: '/private',
  allowedOrigins: ['https://chat.example.com'],
  auth: [
    {
      type: 'basic',
      users: [{
        username: 'ada', // password: correct horse battery staple (made with hashPassword)
        passwordHash: '$scrypt$ln=15,r=8,p=1$v4yUe3cOxOB3aeOzDSzk+A$A+zqVUCgq/Naqgt95bOymsjIZj7VxyJChyUQnK7mddU',
        scopes: ['chat'],
      }],
    },
    { type: 'jwt', secret: JWT_SECRET, issuer: 'https://login.example.com', queryParam: 'access_token' },
    ApiKeyAuthenticator,
  ],
  requiredScopes: ['chat'],
})
export class PrivateService {
  @OnOpen()
  async onOpen(caller: Caller) {
    await caller.writeTextMessage(`Welcome ${caller.principal?.name}`);
  }
}

export async function start(port = 8080): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port, services: [PrivateService] }));
  return WebSocketApplication.start(container);
}

if (require.main === module) {
  void start().then((app) => console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`));
}
