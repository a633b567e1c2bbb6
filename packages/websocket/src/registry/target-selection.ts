// Which connections of this process a target reaches: its rooms (or connection ids, as every
// connection id acts as a room of one), its service, minus its exceptions, through its filter.
// Broadcasts and remote operations select alike, on the node that asked and on every other.
// The common target — one room or one service, no filter, at most one exception — is the room's
// own set, untouched, so the broadcast path can keep publishing it as before.
import { Caller } from '../caller';
import { InvalidArgumentError } from '../errors';
import type { Logger } from '../logger';
import type { BroadcastMember } from './broadcast';
import { type CompiledFilter, type CompiledFilters, passes } from './member-filter';

/** Who a target reaches, as it travels between nodes (the target fields of a `BackplaneMessage`). */
export interface TargetSpec {
  /** Rooms or connection ids, a union; undefined: every connection (of `servicePath`). */
  readonly rooms?: readonly string[];
  readonly servicePath?: string;
  /** Rooms or connection ids whose connections are left out. */
  readonly except?: readonly string[];
  /** A predicate's source (member-filter.ts). */
  readonly filter?: string;
}

/** What selecting needs of the registry. */
export interface SelectionHost {
  readonly logger: Logger;
  /** Compiled `.filter()` sources. */
  readonly filters: CompiledFilters;
  roomMembers(room: string): ReadonlySet<BroadcastMember>;
  member(connectionId: string): BroadcastMember | undefined;
  allMembers(): Iterable<BroadcastMember>;
  membersOnPath(path: string): Iterable<BroadcastMember>;
}

/** What `.except()` takes: a room, a caller, a connection id, or a list of these. */
export type ExceptTarget = string | Caller | readonly (string | Caller)[];

/** Excluded members: none, the one (usually the sender), or several. */
export type Excluded = BroadcastMember | Set<BroadcastMember> | undefined;

/**
 * The room's or service's own set when the target is that plain (no filter, a single room that
 * is no connection's id); undefined otherwise. Exceptions are not looked at here.
 */
export function plainMembers(host: SelectionHost, spec: TargetSpec): Iterable<BroadcastMember> | undefined {
  return spec.filter === undefined ? namedSet(host, spec) : undefined;
}

function namedSet(host: SelectionHost, spec: TargetSpec): Iterable<BroadcastMember> | undefined {
  const rooms = spec.rooms;
  if (rooms === undefined) return spec.servicePath === undefined ? host.allMembers() : host.membersOnPath(spec.servicePath);
  if (rooms.length !== 1 || spec.servicePath !== undefined) return undefined;
  const members = host.roomMembers(rooms[0]!);
  const byId = host.member(rooms[0]!);
  return byId === undefined || members.has(byId) ? members : undefined;
}

/** Every member the target's rooms and service name, each once (exceptions and filter not applied). */
export function candidates(host: SelectionHost, spec: TargetSpec): Iterable<BroadcastMember> {
  const plain = namedSet(host, spec);
  if (plain !== undefined) return plain;
  const union = new Set<BroadcastMember>();
  for (const room of spec.rooms!) {
    for (const member of host.roomMembers(room)) union.add(member);
    const byId = host.member(room);
    if (byId !== undefined) union.add(byId);
  }
  if (spec.servicePath !== undefined) {
    for (const member of union) if (member.config.path !== spec.servicePath) union.delete(member);
  }
  return union;
}

/** The members of the `except` rooms and ids, resolved once per broadcast. */
export function excludedMembers(host: SelectionHost, except: readonly string[] | undefined): Excluded {
  if (except === undefined) return undefined;
  let excluded: Excluded;
  for (const name of except) {
    for (const member of host.roomMembers(name)) excluded = withMember(excluded, member);
    const byId = host.member(name);
    if (byId !== undefined) excluded = withMember(excluded, byId);
  }
  return excluded;
}

function withMember(excluded: Excluded, member: BroadcastMember): Excluded {
  if (excluded === undefined || excluded === member) return member;
  if (excluded instanceof Set) return excluded.add(member);
  return new Set([excluded, member]);
}

export function isExcluded(excluded: Excluded, member: BroadcastMember): boolean {
  return excluded === member || (excluded instanceof Set && excluded.has(member));
}

/** The target's compiled filter; a source from another node that does not compile reaches no one (logged). */
export function targetFilter(host: SelectionHost, spec: TargetSpec): CompiledFilter | null | undefined {
  if (spec.filter === undefined) return undefined;
  const compiled = host.filters.compile(spec.filter);
  if (compiled instanceof InvalidArgumentError) {
    if (host.filters.firstReport(compiled)) {
      host.logger.warn('a broadcast filter from another node does not compile here; it reaches no connection (logged once)', { error: compiled.message });
    }
    return null;
  }
  return compiled;
}

/** The members a target reaches, as a list (for remote operations, which change rooms while acting). */
export function selectMembers(host: SelectionHost, spec: TargetSpec): BroadcastMember[] {
  const filter = targetFilter(host, spec);
  if (filter === null) return [];
  const excluded = excludedMembers(host, spec.except);
  const selected: BroadcastMember[] = [];
  for (const member of candidates(host, spec)) {
    if (isExcluded(excluded, member)) continue;
    if (filter !== undefined && !passes(filter, member.caller, host.logger)) continue;
    selected.push(member);
  }
  return selected;
}

/** The rooms of `registry.to(target)`, checked and without duplicates. */
export function targetRooms(target: unknown): readonly string[] | InvalidArgumentError {
  if (typeof target === 'string') return [target];
  if (!Array.isArray(target) || !target.every((room) => typeof room === 'string')) {
    return new InvalidArgumentError('to() takes a room name (or connection id), or an array of them');
  }
  return [...new Set(target as string[])];
}

/** The names `.except(target)` adds: rooms and connection ids, a caller by its connection id. */
export function exceptNames(target: unknown): string[] | InvalidArgumentError {
  const entries = Array.isArray(target) ? (target as unknown[]) : [target];
  const names: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') names.push(entry);
    else if (entry instanceof Caller) names.push(entry.getConnectionId());
    else return new InvalidArgumentError('except() takes a room, a caller, a connection id, or an array of these');
  }
  return names;
}
