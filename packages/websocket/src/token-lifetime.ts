// How long an authenticated connection may live, and how its client extends that: a principal
// with `expiresAt` (a JWT's `exp`) closes its connection with 1008 `token expired` then, unless
// the client sent a new token first (`{ [dispatcherKey]: '$token', token }`, wire format in
// docs/client.md). The new token is verified by the service's own authenticators, must name the
// same principal, and then replaces `caller.principal` in place. One timer per connection whose
// principal expires (unref'd, cleared at close and at each refresh): a service of short-lived
// tokens holds as many timers as connections, each a few dozen bytes, and no sweep runs.
import type { Caller } from './caller';
import { CloseCode } from './close-codes';
import type { ConnectionReport } from './connection-report';
import { UpgradeError } from './errors';
import type { Outbound } from './outbound';
import type { UpgradeGate } from './service-binding';
import { MAX_TIMER_MS } from './timer-limits';
import type { Principal } from './upgrade-request';

/** The dispatcher value of a token refresh and of its answer; '$…' names are protocol messages. */
export const TOKEN_NAME = '$token';

/** What a connection's token lifetime needs of it. */
export interface TokenHost {
  readonly caller: Caller;
  readonly outbound: Outbound;
  closeIfOpen(code: number, reason: string): void;
}

/** The token policy of one service with `auth`: shared by its connections. */
export class TokenRefresh {
  /** How a refresh frame begins, byte for byte: anything else is an ordinary message. */
  readonly prefix: Buffer;
  readonly prefixText: string;

  constructor(
    readonly gate: UpgradeGate,
    readonly dispatcherKey: string,
    /** `tokenExpiry: 'close'`: an expired principal closes its connection. */
    readonly closesAtExpiry: boolean,
    readonly report: ConnectionReport,
  ) {
    this.prefixText = `{${JSON.stringify(dispatcherKey)}:"${TOKEN_NAME}"`;
    this.prefix = Buffer.from(this.prefixText);
  }

  /** The lifetime of a connection just opened; its timer runs from the principal's `expiresAt`. */
  lifetimeFor(host: TokenHost): TokenLifetime {
    return new TokenLifetime(this, host);
  }
}

export class TokenLifetime {
  private timer: NodeJS.Timeout | undefined;
  /** Refreshes are verified one after another, in the order they arrived. */
  private verifying: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly policy: TokenRefresh,
    private readonly host: TokenHost,
  ) {
    this.arm(host.caller.principal);
  }

  /** A text frame: true when it was a token refresh (taken here, never seen by handlers). */
  takes(data: Buffer): boolean {
    const prefix = this.policy.prefix;
    if (data.length < prefix.length || data.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) return false;
    this.received(data.toString());
    return true;
  }

  /** The same, for a text an engine already holds as a string (Bun). */
  takesText(text: string): boolean {
    if (!text.startsWith(this.policy.prefixText)) return false;
    this.received(text);
    return true;
  }

  /** The same principal authenticated again (a resumed session): it and its expiry replace the current ones. */
  renewed(principal: Principal): void {
    if (this.stopped) return;
    this.host.caller.request.principal = principal;
    this.arm(principal);
  }

  /** The connection closed: no timer is left behind, no late verification answers. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private received(text: string): void {
    let token: unknown;
    try {
      token = (JSON.parse(text) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '') {
      this.answer({ ok: false, code: 'DUET_ERR_AUTHENTICATION', message: 'A token refresh needs a token.' });
      return;
    }
    this.verifying = this.verifying.then(() => this.verify(token));
  }

  private async verify(token: string): Promise<void> {
    if (this.stopped) return;
    const request = this.host.caller.request;
    let principal: Principal;
    try {
      principal = await this.policy.gate.authenticate(request.withBearerToken(token));
    } catch (error) {
      if (this.stopped) return;
      // A refused token leaves the connection as it was: it still closes at the current expiry.
      if (error instanceof UpgradeError) {
        this.answer({ ok: false, code: error.code, message: error.message });
      } else {
        this.policy.report.logger.error('a token refresh could not be verified', this.policy.report.fields(this.host.caller, { error }));
        this.answer({ ok: false, code: 'DUET_ERR_AUTHENTICATOR', message: 'The token could not be verified.' });
      }
      return;
    }
    if (this.stopped) return;
    if (principal.name !== request.principal?.name) {
      // A connection is one principal's: another one's token is not a refresh but a takeover.
      this.policy.report.logger.warn('a token refresh named another principal; closing with 1008', this.policy.report.fields(this.host.caller));
      this.stop();
      this.host.closeIfOpen(CloseCode.PolicyViolation, 'principal changed');
      return;
    }
    this.renewed(principal);
    const expiresAt = principal.expiresAt === undefined ? null : principal.expiresAt.getTime() / 1000;
    this.answer({ ok: true, expiresAt });
  }

  private answer(fields: Record<string, unknown>): void {
    this.host.outbound.reply(JSON.stringify({ [this.policy.dispatcherKey]: TOKEN_NAME, ...fields }));
  }

  private arm(principal: Principal | undefined): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const expiresAt = principal?.expiresAt;
    if (expiresAt === undefined || !this.policy.closesAtExpiry || this.stopped) return;
    const delay = Math.max(0, Math.min(expiresAt.getTime() - Date.now(), MAX_TIMER_MS));
    this.timer = setTimeout(() => this.expired(principal!), delay);
    // The listener keeps the process alive; a connection's expiry alone should not.
    this.timer.unref();
  }

  private expired(principal: Principal): void {
    // An expiry past the longest timer is reached in steps.
    if (Date.now() < principal.expiresAt!.getTime()) {
      this.arm(principal);
      return;
    }
    this.timer = undefined;
    this.policy.report.logger.info('the token expired; closing with 1008', this.policy.report.fields(this.host.caller));
    this.host.closeIfOpen(CloseCode.PolicyViolation, 'token expired');
  }
}
