// Operations on connections wherever they live: join a room, leave it, disconnect. The node
// that asks acts on its own connections, then sends an 'operate' request that every other node
// answers by acting on its own and saying how many it acted on; the sum is the answer. A body
// that comes from another node is checked again before anything is done with it.
import { isPlainObject } from '@duet/contract';
import { checkCloseArguments } from '../frames';
import { InvalidArgumentError } from '../errors';
import type { BroadcastMember } from './broadcast';
import { type SelectionHost, type TargetSpec, selectMembers } from './target-selection';

export const OPERATE_REQUEST = 'operate';

/** One operation, as it travels. */
export type Operation =
  | { readonly op: 'join' | 'leave'; readonly room: string; readonly target: TargetSpec }
  | { readonly op: 'disconnect'; readonly code: number; readonly reason: string; readonly target: TargetSpec }
  /** `registry.disconnect(id)`: that connection only, never a room of that name. */
  | { readonly op: 'disconnect'; readonly code: number; readonly reason: string; readonly connectionId: string };

/** What acting needs of the registry: selecting (joining and leaving go through each connection). */
export type OperationHost = SelectionHost;

/** Checks the arguments of a join or leave: InvalidArgumentError, or undefined when they are fine. */
export function checkRoomOperation(op: string, room: unknown): InvalidArgumentError | undefined {
  return typeof room === 'string' ? undefined : new InvalidArgumentError(`${op} takes a room name, got ${typeof room}`);
}

/** Checks a disconnect's code and reason as `caller.close` does. */
export function checkDisconnect(code: unknown, reason: unknown): InvalidArgumentError | undefined {
  return checkCloseArguments(code, reason, 0);
}

/** Acts on this node's matching connections; how many it acted on. */
export function operateLocally(host: OperationHost, operation: Operation): number {
  const members = 'connectionId' in operation ? oneMember(host, operation.connectionId) : selectMembers(host, operation.target);
  for (const member of members) {
    if (operation.op === 'disconnect') void member.caller.close(operation.code, operation.reason);
    else if (operation.op === 'join') member.join(operation.room);
    else member.leave(operation.room);
  }
  return members.length;
}

/** Another node's 'operate' body, if it is one this node can act on. */
export function readOperation(body: unknown): Operation | undefined {
  if (!isPlainObject(body)) return undefined;
  const { op, room, code, reason, connectionId } = body;
  if (op === 'disconnect') {
    if (checkDisconnect(code, reason) !== undefined) return undefined;
    if (typeof connectionId === 'string') return { op, code: code as number, reason: reason as string, connectionId };
    const target = readTarget(body.target);
    return target === undefined ? undefined : { op, code: code as number, reason: reason as string, target };
  }
  if ((op === 'join' || op === 'leave') && typeof room === 'string') {
    const target = readTarget(body.target);
    return target === undefined ? undefined : { op, room, target };
  }
  return undefined;
}

function oneMember(host: SelectionHost, connectionId: string): BroadcastMember[] {
  const member = host.member(connectionId);
  return member === undefined ? [] : [member];
}

function readTarget(value: unknown): TargetSpec | undefined {
  if (!isPlainObject(value)) return undefined;
  const { rooms, servicePath, except, filter } = value;
  if (rooms !== undefined && !isStringList(rooms)) return undefined;
  if (except !== undefined && !isStringList(except)) return undefined;
  if (servicePath !== undefined && typeof servicePath !== 'string') return undefined;
  if (filter !== undefined && typeof filter !== 'string') return undefined;
  return { rooms, servicePath, except, filter } as TargetSpec;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}
