// Without a backplane option nothing needs Redis: the in-memory default serves one process.
import 'reflect-metadata';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Container } from 'inversify';
import {
  Caller,
  ConnectionRegistry,
  OnOpen,
  OnText,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { ChatClient, eventually, pause } from './cluster-helpers';

@WebSocketService({ path: '/chat/:room' })
class ChatService {
  constructor(private readonly registry: ConnectionRegistry) {}

  @OnOpen() onOpen(caller: Caller) {
    caller.join(caller.params.room);
  }

  @OnText() async onText(caller: Caller, text: string) {
    if (text === '/count') return `count=${await this.registry.clusterCount()}`;
    await this.registry.to(caller.params.room).except(caller).writeTextMessage(text);
    return undefined;
  }
}

describe('the default backplane', () => {
  it('broadcasts to a room and counts the cluster with no Redis configured', async () => {
    const container = new Container();
    container.load(webSocketModule({ listeners: { default: { port: 0, host: '127.0.0.1' } }, services: [ChatService] }));
    const app = await WebSocketApplication.start(container);
    const url = `ws://127.0.0.1:${app.port()}/chat/lobby`;
    const [ann, bob] = await Promise.all([ChatClient.connect(url), ChatClient.connect(url)]);
    try {
      expect(await ann.ask('/count')).toBe('2');
      ann.send('hello');
      await eventually(() => bob.chat.length === 1, 2000, 'the room message');
      await pause(30);
      expect([ann.chat, bob.chat]).toEqual([[], ['hello']]);
      expect(app.registry.stats().backplane).toEqual({ undelivered: 0, connected: true, unanswered: 0 });
    } finally {
      await Promise.all([ann.close(), bob.close()]);
      await app.stop({ timeout: 1 });
    }
  });

  it('is the only one @duet/websocket knows: its sources never import ioredis or @duet/redis', () => {
    const sources = path.join(__dirname, '../../websocket/src');
    const files = readdirSync(sources, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      expect([file, readFileSync(path.join(sources, file), 'utf8')]).not.toEqual([file, expect.stringMatching(/from '(ioredis|@duet\/redis)'/)]);
    }
  });
});
