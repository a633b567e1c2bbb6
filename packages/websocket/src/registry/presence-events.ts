// The presence events a service with `presenceEvents: true` sends its room members, as contract
// events travel (`{ [dispatcherKey]: '$presence_diff', room, joins, leaves }`), so @duet/client
// hands them to `client.on('$presence_diff')`: the room's whole state when a connection joins it,
// then each diff. Encoded once per dispatcher key, written under each member's slow-consumer bound.
import { type EncodedFrame, encodeFrame } from '../transport/frame-encoding';
import type { BroadcastMember } from './broadcast';
import { PRESENCE_DIFF, PRESENCE_STATE, type PresenceDiff, type PresenceEntry } from '@duet/contract';

export const PRESENCE_STATE_EVENT = PRESENCE_STATE;
export const PRESENCE_DIFF_EVENT = PRESENCE_DIFF;

/** Writes `event` with `body` to the `members` whose service has `presenceEvents`. */
export function sendPresenceEvent(members: Iterable<BroadcastMember>, event: string, body: PresenceDiff | { room: string; presences: PresenceEntry[] }): void {
  let key: string | undefined;
  let encoded: EncodedFrame | undefined;
  for (const member of members) {
    const config = member.config;
    if (!config.presenceEvents) continue;
    if (config.dispatcherKey !== key) {
      key = config.dispatcherKey;
      const message: Record<string, unknown> = { [key]: event };
      Object.assign(message, body);
      message[key] = event;
      encoded = encodeFrame(Buffer.from(JSON.stringify(message)), false);
    }
    member.outbound.writeBroadcast(encoded!);
  }
}
