// Type tests, checked by `npm run typecheck` (the root tsconfig includes packages/*/test): each
// `@ts-expect-error` line must be an error, so a contract that stopped typing the client fails tsc.
import { z } from 'zod';
import { createClient, defineContract } from '@duet/client';

const chat = defineContract({
  path: '/chat/:room',
  requests: { say: { message: z.object({ text: z.string() }), reply: z.object({ at: z.number() }) } },
  messages: { typing: { message: z.object({ on: z.boolean() }) } },
  events: { said: z.object({ type: z.literal('said'), from: z.string(), text: z.string() }) },
});

export async function typedUse(): Promise<void> {
  const client = createClient(chat, 'ws://127.0.0.1:1', { params: { room: 'r' } });

  const reply = await client.request('say', { text: 'hi' });
  const at: number = reply.at;
  client.send('typing', { on: true });
  client.send('say', { text: 'without waiting' });
  client.on('said', (event) => {
    const from: string = event.from;
    void from;
  });
  client.on('*', (message: unknown) => void message);

  // @ts-expect-error a request name the contract does not have
  await client.request('shout', { text: 'hi' });
  // @ts-expect-error a message is not a request: it has no reply
  await client.request('typing', { on: true });
  // @ts-expect-error a wrong payload field
  await client.request('say', { txt: 'hi' });
  // @ts-expect-error a payload field of the wrong type
  client.send('typing', { on: 'yes' });
  // @ts-expect-error a wrong reply use: the reply has `at`, not `text`
  const text: string = reply.text;
  // @ts-expect-error a wrong reply use: `at` is a number
  const atText: string = reply.at;
  // @ts-expect-error an event the contract does not have
  client.on('shouted', () => {});
  client.on('said', (event) => {
    // @ts-expect-error a wrong event field
    void event.body;
  });
  void [at, text, atText];

  // Untyped: any name and fields, replies are `any`.
  const untyped = createClient('ws://127.0.0.1:1/chat/r');
  const anything = await untyped.request('whatever', { a: 1 });
  void anything.deep.field;
}
