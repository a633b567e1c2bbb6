// NestJS doing the JSON routing with @SubscribeMessage on @nestjs/platform-ws, as a Nest user
// deploys it: an HTTP app (Express) with the gateway on its server at /ws. The WsAdapter's
// messageParser routes on `type`, so the wire format is the same as the other JSON servers.
// Plain JavaScript (NestJS 12 is ES modules only): the decorators are applied with
// Reflect.decorate, which is what TypeScript emits for them.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';

class JsonGateway {
  onEcho(_client, message) {
    return { type: 'echo', data: message.data };
  }

  onPing() {
    return { type: 'pong' };
  }
}
decorateMethod(JsonGateway, 'onEcho', SubscribeMessage('echo'));
decorateMethod(JsonGateway, 'onPing', SubscribeMessage('ping'));
Reflect.decorate([WebSocketGateway({ path: '/ws' })], JsonGateway);

class AppModule {}
Reflect.decorate([Module({ providers: [JsonGateway] })], AppModule);

function decorateMethod(target, name, decorator) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  Object.defineProperty(target.prototype, name, Reflect.decorate([decorator], target.prototype, name, descriptor));
}

function parseMessage(data) {
  const message = JSON.parse(data.toString());
  return { event: message.type, data: message };
}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
app.useWebSocketAdapter(new WsAdapter(app, { messageParser: parseMessage }));
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
console.log(`listening on ws://127.0.0.1:${app.getHttpServer().address().port}/ws`);
