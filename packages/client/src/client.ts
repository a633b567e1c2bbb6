// DuetClient: one connection to a Duet service that reconnects, queues while offline, matches
// replies to requests and hands events to listeners. Platform APIs stay behind the Transport.
import {
  type AnyContract,
  type EventData,
  type EventName,
  type MessageData,
  type ReplyOf,
  type RequestName,
  type SendName,
  isPlainObject,
  isProtocolMessage,
} from '@duet/contract';
import { reconnectDelay } from './backoff';
import { type CloseInfo, isRetried } from './close-info';
import { ClientArgumentError, ClientClosedError, ConnectionLostError } from './errors';
import { type ResolvedOptions, seconds } from './options';
import type { Transport, TransportFactory } from './transport';
import { Listeners } from './listeners';
import { OfflineQueue } from './offline-queue';
import { checkOutgoingName, encodeOutgoing } from './outgoing-message';
import { PendingRequests } from './requests';
import { PRESENCE_DIFF, PRESENCE_STATE, type PresenceDiff, type PresenceState } from './presence';
import { ClientSession, type ResumeResult } from './resume';
import { SilenceTimer } from './silence-timer';
import { StateWaiters } from './state-waiters';
import { ClientTokens } from './token-refresh';

export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export class DuetClient<K extends AnyContract = AnyContract> {
  #state: ClientState = 'connecting';
  #closeInfo: CloseInfo | undefined;
  #transport: Transport | undefined;
  #attempts = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #silence: SilenceTimer;
  readonly #requests = new PendingRequests();
  readonly #queue: OfflineQueue;
  readonly #listeners = new Listeners<[unknown]>();
  readonly #stateListeners = new Listeners<[ClientState, ClientState]>();
  readonly #waiters = new StateWaiters();
  /** With `resume: true`: the session's counts and what waits for the server's acknowledgement. */
  readonly #session: ClientSession | undefined;
  readonly #resumeListeners = new Listeners<[ResumeResult]>();
  /** The last drop, for the error of requests a refused resume loses. */
  #lastDrop = { code: 1006, reason: '' };
  readonly #tokens: ClientTokens;

  /** @internal Use `createClient`. */
  constructor(
    /** The contract (a default one for an untyped client). */
    readonly contract: K,
    /** The URL connected to. */
    readonly url: string,
    private readonly options: ResolvedOptions,
    private readonly transports: TransportFactory,
    private readonly typed: boolean,
  ) {
    this.#queue = new OfflineQueue(options.offlineQueue);
    this.#silence = new SilenceTimer(options.serverTimeout, (timeout) => this.#serverSilent(timeout));
    if (options.resume) {
      this.#session = new ClientSession(contract.dispatcherKey, {
        send: (text) => this.#transport?.send(text),
        resumed: () => {
          this.#resumeListeners.emit('', { resumed: true });
          this.#opened();
        },
        // A fresh session: requests on the wire are lost, and the app is told before it opens.
        refused: (reason) => {
          this.#failInFlight(this.#lastDrop.code, `resume refused: ${reason}`);
          this.#resumeListeners.emit('', { resumed: false, reason });
          this.#opened();
        },
      });
    }
    this.#tokens = new ClientTokens(contract.dispatcherKey, options.requestTimeout, options.tokenProvider, {
      isOpen: () => this.#state === 'open' && this.#transport !== undefined,
      send: (text) => this.#sendNow(text),
    });
    this.#connect();
  }

  /**
   * Sends a new token for the connection; resolves once the server took it (docs/client.md).
   * @throws TokenRefreshError (refused, or not open), RequestTimeoutError, ConnectionLostError
   */
  refreshToken(token: string): Promise<void> {
    return this.#tokens.refresh(token);
  }

  get state(): ClientState {
    return this.#state;
  }

  /** Why the client is `'closed'`; undefined before. */
  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }

  /**
   * Sends a contract message or request without waiting for a reply (a request sent this way
   * carries no id, so its reply arrives as an ordinary message). Queued while not connected.
   * @throws OfflineQueueFullError, ClientClosedError, ClientArgumentError
   */
  send<N extends SendName<K>>(name: N, data: MessageData<K, N>): void {
    if (this.typed) checkOutgoingName(this.contract, String(name), 'send');
    this.#write(name, encodeOutgoing(this.contract, name, data, undefined, this.options.traceparentField), undefined);
  }

  /**
   * Sends a request and resolves with its reply. The timeout (default `requestTimeout`) runs
   * from the call, time spent in the offline queue included.
   * @throws RequestTimeoutError, ConnectionLostError, RemoteError, OfflineQueueFullError, ClientClosedError
   */
  request<N extends RequestName<K>>(name: N, data: MessageData<K, N>, options?: { timeout?: number }): Promise<ReplyOf<K, N>> {
    return new Promise((resolve, reject) => {
      if (this.typed) checkOutgoingName(this.contract, String(name), 'request');
      const timeout = options?.timeout === undefined ? this.options.requestTimeout : seconds('timeout', options.timeout);
      const id = this.#requests.nextId();
      const text = encodeOutgoing(this.contract, name, data, id, this.options.traceparentField);
      const dequeue = () => this.#queue.remove(id);
      this.#requests.add(id, name, resolve as (value: unknown) => void, reject, timeout, dequeue);
      try {
        this.#write(name, text, id);
      } catch (error) {
        this.#requests.forget(id);
        throw error;
      }
    });
  }

  /**
   * Listens to a contract event (or `'*'`: every message that is not a reply), or to the
   * presence events of a service with `presenceEvents` (`'$presence_state'`, `'$presence_diff'`;
   * `PresenceList` folds them into a list); returns the unsubscribe function.
   */
  on(event: '*', listener: (message: unknown) => void): () => void;
  on(event: typeof PRESENCE_STATE, listener: (state: PresenceState) => void): () => void;
  on(event: typeof PRESENCE_DIFF, listener: (diff: PresenceDiff) => void): () => void;
  on<N extends EventName<K>>(event: N, listener: (data: EventData<K, N>) => void): () => void;
  on(event: string, listener: (data: never) => void): () => void {
    if (typeof listener !== 'function') throw new ClientArgumentError(`The listener of '${event}' must be a function.`);
    return this.#listeners.add(event, listener as (data: unknown) => void);
  }

  /** Calls `listener(state, previous)` on every state change; returns the unsubscribe function. */
  onStateChange(listener: (state: ClientState, previous: ClientState) => void): () => void {
    return this.#stateListeners.add('', listener);
  }

  /**
   * With `resume: true`: after each reconnect, whether the session was resumed (`{ resumed: true }`:
   * nothing was lost, pending requests get their replies) or not (`{ resumed: false, reason }`:
   * a fresh session; requests in flight failed with `ConnectionLostError`, so resync). Returns the
   * unsubscribe function.
   */
  onResume(listener: (result: ResumeResult) => void): () => void {
    if (typeof listener !== 'function') throw new ClientArgumentError('The onResume listener must be a function.');
    return this.#resumeListeners.add('', listener);
  }

  /** Resolves once the client is open (at once if it is); rejects with ClientClosedError if it closes first. */
  opened(): Promise<void> {
    if (this.#state === 'open') return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new ClientClosedError(this.#closeInfo!));
    return this.#waiters.untilOpen();
  }

  /** Closes for good (no reconnect); resolves when the socket is closed. Pending requests reject with ClientClosedError. */
  close(code = 1000, reason = ''): Promise<void> {
    if (code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      return Promise.reject(new ClientArgumentError(`A client may close with 1000 or 3000–4999 (got ${code}).`));
    }
    const closed = this.#waiters.untilClosed();
    if (this.#state === 'closed') {
      if (this.#transport === undefined) this.#waiters.closed();
      return closed;
    }
    const transport = this.#transport;
    this.#finish({ code, reason, by: 'client' });
    if (transport === undefined) {
      this.#waiters.closed();
    } else {
      transport.close(code, reason);
      this.#waiters.boundHandshake(() => {
        transport.abort();
        this.#transport = undefined;
      });
    }
    return closed;
  }

  // --- the connection ------------------------------------------------------------------

  #connect(): void {
    this.#reconnectTimer = undefined;
    // With a tokenProvider the socket opens once it gave a token (the client may close meanwhile).
    void this.#tokens.connect(this.options, (options) => this.#connectWith(options), (why) => this.#state !== 'closed' && this.#lost(1006, why));
  }

  #connectWith(options: ResolvedOptions): void {
    if (this.#state === 'closed') return;
    const url = this.#session?.urlFor(this.url) ?? this.url;
    const transport: Transport = this.transports(url, options, {
      // A socket that asks to resume opens on the server's answer (the session calls back).
      open: () => this.#transport === transport && this.#state !== 'closed' && (this.#session?.opensNow() ?? true) && this.#opened(),
      message: (data) => this.#transport === transport && this.#received(data),
      close: (code, reason, status) => {
        if (this.#transport !== transport) return;
        this.#transport = undefined;
        this.#lost(code, reason, status);
      },
    });
    this.#transport = transport;
  }

  #opened(): void {
    const previous = this.#state;
    this.#state = 'open';
    this.#attempts = 0;
    this.#silence.arm();
    this.#tokens.opened();
    // The queue goes out before anyone hears of 'open', so what they send then comes after it.
    for (const queued of this.#queue.take()) {
      if (queued.id === undefined || this.#requests.has(queued.id)) this.#sendNow(queued.text);
    }
    this.#waiters.opened();
    this.#stateListeners.emit('', this.#state, previous);
  }

  #lost(code: number, reason: string, status?: number): void {
    this.#silence.clear();
    if (this.#state === 'closed') {
      this.#waiters.closed();
      return;
    }
    this.#lastDrop = { code, reason };
    this.#tokens.lost(code, reason);
    const session = this.#session;
    session?.socketLost();
    // In a session they wait for the resume, which replays their replies; otherwise they fail.
    if (session?.resumable !== true) this.#failInFlight(code, reason);
    const { reconnect } = this.options;
    if (reconnect === false || (!isRetried(code, status) && !this.#tokens.retries(code, reason))) {
      this.#finish({ code, reason, status, by: 'server' });
      return;
    }
    this.#attempts += 1;
    if (this.#attempts > reconnect.maxAttempts) {
      this.#finish({ code, reason, status, by: 'attempts' });
      return;
    }
    this.#setState('reconnecting');
    this.#reconnectTimer = setTimeout(() => this.#connect(), reconnectDelay(reconnect, this.#attempts));
  }

  /** Requests already on the wire may or may not have run: they fail; queued ones wait. */
  #failInFlight(code: number, reason: string): void {
    this.#requests.failAll((name) => new ConnectionLostError(name, code, reason), this.#queue.requestIds());
  }

  /** `serverTimeout` passed without a message: the server is taken for dead. */
  #serverSilent(timeout: number): void {
    const transport = this.#transport;
    if (transport === undefined) return;
    this.#transport = undefined;
    transport.abort();
    this.#lost(1006, `no message from the server within serverTimeout (${timeout} s)`);
  }

  #received(data: string | Uint8Array): void {
    this.#silence.arm();
    let message: unknown = data;
    if (typeof data === 'string') {
      try {
        message = JSON.parse(data);
      } catch {
        // not JSON: '*' listeners get the text as it came
      }
    }
    if (this.#session?.take(message)) return;
    if (!isPlainObject(message)) {
      this.#listeners.emit('*', message);
      return;
    }
    const { dispatcherKey, correlationKey } = this.contract;
    if (this.#tokens.take(message)) return;
    const id = message[correlationKey];
    if (typeof id === 'number' && this.#requests.reply(id, message, this.contract)) return;
    const name = message[dispatcherKey];
    if (isProtocolMessage(this.contract, message)) {
      // Of the protocol's '$' messages, presence is for the application.
      if (name === PRESENCE_STATE || name === PRESENCE_DIFF) this.#listeners.emit(name, message);
      return;
    }
    if (typeof name === 'string' && name !== '*') this.#listeners.emit(name, message);
    this.#listeners.emit('*', message);
  }

  // --- writing -------------------------------------------------------------------------

  #write(name: string, text: string, id: number | undefined): void {
    if (this.#state === 'open') {
      this.#sendNow(text);
    } else if (this.#state === 'closed') {
      throw new ClientClosedError(this.#closeInfo!);
    } else {
      this.#queue.push(name, text, id);
    }
  }

  #sendNow(text: string): void {
    this.#transport!.send(text);
    this.#session?.sent(text);
  }

  // --- the end -------------------------------------------------------------------------

  #finish(info: Omit<CloseInfo, 'unsent'>): void {
    clearTimeout(this.#reconnectTimer);
    this.#silence.clear();
    this.#tokens.lost(info.code, info.reason);
    this.#session?.disable();
    const unsent = this.#queue.drop();
    this.#closeInfo = Object.freeze({ ...info, unsent });
    const error = new ClientClosedError(this.#closeInfo);
    this.#requests.failAll(() => error);
    this.#setState('closed');
    this.#waiters.failOpen(error);
  }

  #setState(state: ClientState): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    this.#stateListeners.emit('', state, previous);
  }
}
