// What `ConnectionRegistry.stats()` reports, and the counters behind the figures that are not
// read off the registry's maps: slow-consumer drops, rate-limit refusals, resumable sessions.
import type { BackplaneStats } from './backplane';

/** Why a resume was refused (the client hears the same words in `{ resumed: false, reason }`). */
export type ResumeRefusal = 'unknown session' | 'expired' | 'buffer overflowed' | 'principal mismatch';

/** Resumable sessions since start (services with `resume`). */
export interface SessionStats {
  /** Resumes accepted. */
  readonly resumed: number;
  /** Resumes refused, by the reason the client was given. */
  readonly refused: Readonly<Record<ResumeRefusal, number>>;
  /** Sessions whose window passed without a resume (closed with 1006 `session expired`). */
  readonly expired: number;
  /** Sessions ended because their buffer overflowed while the client was away (1013). */
  readonly overflowed: number;
}

export interface RegistryStats {
  readonly connections: number;
  readonly rooms: number;
  /** Messages dropped for slow consumers under the 'drop' policy, since start. */
  readonly droppedMessages: number;
  /** Messages refused by a `rateLimit` (answered, dropped or closed for), since start. */
  readonly rateLimited: number;
  readonly backplane: BackplaneStats;
  readonly sessions: SessionStats;
}

/** @internal The registry's counters since start; plain fields, so a bump costs an increment. */
export class RegistryCounters {
  dropped = 0;
  rateLimited = 0;
  readonly sessions = {
    resumed: 0,
    expired: 0,
    overflowed: 0,
    refused: { 'unknown session': 0, expired: 0, 'buffer overflowed': 0, 'principal mismatch': 0 } as Record<ResumeRefusal, number>,
  };

  /** A copy of the session counts, for `stats()`. */
  sessionStats(): SessionStats {
    return { ...this.sessions, refused: { ...this.sessions.refused } };
  }
}
