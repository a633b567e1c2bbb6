// The resumable sessions of one service (service config `resume`): made when a client asks for
// one at the upgrade (`?duet-resume=new`), found again by token when it asks to resume
// (`?duet-resume=<token>&duet-ack=<n>`), and remembered for a while after they expired or
// overflowed so that a late resume hears why it is refused. It counts what happens to them in
// the registry's `stats().sessions` and tells the observers (metrics). Sessions live in this
// process only: a resume reaching another process is refused as `unknown session` (docs/client.md).
import { randomBytes } from 'node:crypto';
import type { SessionLoss, WebSocketObserver } from './monitoring/observer';
import type { ConnectionRegistry } from './registry/connection-registry';
import type { ResumeRefusal } from './registry/registry-stats';
import type { ResolvedResumeConfig } from './resume-config';
import { Session, type SessionOwner } from './session';
import type { Transport } from './transport/transport';
import type { UpgradeRequest } from './upgrade-request';

export const RESUME_PARAM = 'duet-resume';
export const ACK_PARAM = 'duet-ack';

/** 24 random bytes, base64url: 192 bits, not guessable. */
const TOKEN_BYTES = 24;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;
/** Ended sessions remembered for refusals: bounded, the oldest forgotten first. */
const MAX_REMEMBERED = 10_000;

/** What an upgrade to a resumable service asks of its session. */
export type SessionAsk =
  /** Not asked: a plain connection, as for a client without `resume`. */
  | undefined
  /** The query is not a resume request Duet makes: answered 400. */
  | 'malformed'
  /** A new session; `refusal` when a resume was asked for and refused. */
  | { readonly session: undefined; readonly refusal: ResumeRefusal | undefined }
  /** A resume accepted: the client has the first `ack` messages. */
  | { readonly session: Session; readonly ack: number };

export class SessionStore implements SessionOwner {
  private readonly live = new Map<string, Session>();
  /** Tokens of sessions that ended by expiry or overflow, with the refusal a resume gets; insertion-ordered. */
  private readonly ended = new Map<string, { reason: ResumeRefusal; until: number }>();

  constructor(
    private readonly config: ResolvedResumeConfig,
    private readonly dispatcherKey: string,
    private readonly registry: ConnectionRegistry,
    /** The service's class name, as observers know it. */
    private readonly service: string,
    private readonly observer: WebSocketObserver | undefined,
  ) {}

  /** Reads the upgrade's resume request; runs after authentication, so the principal is known. */
  ask(request: UpgradeRequest): SessionAsk {
    // Most upgrades carry no query at all: it is parsed only when the parameter may be there.
    if (!request.url.includes(`${RESUME_PARAM}=`)) return undefined;
    const query = request.query;
    const token = query.get(RESUME_PARAM);
    if (token === 'new') return { session: undefined, refusal: undefined };
    const ackText = query.get(ACK_PARAM);
    if (token === null || !TOKEN_PATTERN.test(token) || ackText === null || !/^\d{1,15}$/.test(ackText)) return 'malformed';
    const refusal = this.refusalFor(token, request);
    if (refusal !== undefined) {
      this.registry.countRefusedResume(refusal);
      if (this.observer !== undefined) this.observer.resumeRefused?.(this.service, refusal);
      return { session: undefined, refusal };
    }
    const session = this.live.get(token)!;
    const ack = Number(ackText);
    if (!session.canReplayAfter(ack)) return 'malformed';
    return { session, ack };
  }

  /** A new session on `transport`; its first frame tells the client its token (and the refusal, if any). */
  open(transport: Transport, request: UpgradeRequest, refusal: ResumeRefusal | undefined): Session {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const session = new Session(this, token, request.principal?.name, this.config, this.dispatcherKey, transport, refusal);
    this.live.set(token, session);
    return session;
  }

  sessionDropped(session: Session, code: number, reason: string): void {
    const info = session.host.info;
    if (info !== undefined) this.observer!.sessionDisconnected?.(info, code, reason);
  }

  // Counted when the new socket is taken, not when the resume is asked for: a resume whose
  // handshake never completes leaves the session waiting, and is not one.
  sessionResumed(session: Session): void {
    this.registry.countSession('resumed');
    const info = session.host.info;
    if (info !== undefined) this.observer!.sessionResumed?.(info);
  }

  sessionEnded(session: Session, outcome: SessionLoss | undefined): void {
    this.live.delete(session.token);
    if (outcome === undefined) return;
    this.registry.countSession(outcome);
    const info = session.host.info;
    if (info !== undefined) this.observer!.sessionLost?.(info, outcome);
    if (this.ended.size >= MAX_REMEMBERED) this.ended.delete(this.ended.keys().next().value!);
    // Remembered for one more window: a client still retrying by then has backed off for long.
    const until = Date.now() + this.config.window * 1000;
    this.ended.set(session.token, { reason: outcome === 'expired' ? 'expired' : 'buffer overflowed', until });
  }

  private refusalFor(token: string, request: UpgradeRequest): ResumeRefusal | undefined {
    const session = this.live.get(token);
    if (session === undefined || !session.resumable) {
      const ended = this.ended.get(token);
      if (ended === undefined) return 'unknown session';
      if (ended.until < Date.now()) {
        this.ended.delete(token);
        return 'unknown session';
      }
      return ended.reason;
    }
    // Bound to whoever opened it: another principal (or none, where one was) cannot take it.
    if (session.principal !== request.principal?.name) return 'principal mismatch';
    return undefined;
  }
}
