// What the chat page and the chat service agree on: one request (`say`, answered with the time
// the message was taken) and three events pushed to everyone in the room. The page declares the
// same names with pass-through schemas (it has no zod); the service validates what arrives.
import { defineContract } from '@duet/contract';
import { z } from 'zod';

export const MAX_TEXT = 2000;

const Member = z.object({ room: z.string(), from: z.string(), at: z.string() });

export const chat = defineContract({
  path: '/chat/:room',
  requests: {
    say: {
      message: z.object({ text: z.string().trim().min(1, 'say something').max(MAX_TEXT, `at most ${MAX_TEXT} characters`) }),
      reply: z.object({ at: z.string() }),
    },
  },
  events: {
    said: Member.extend({ text: z.string() }),
    joined: Member,
    left: Member,
  },
});
