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
  encodeMessage,
  isPlainObject,
  isProtocolMessage,
} from '@duet/contract';
import { reconnectDelay } from './backoff';
import { type CloseInfo, isRetried } from './close-info';
import {
  ClientArgumentError,
  ClientClosedError,
  ConnectionLostError,
  OfflineQueueFullError,
} from './errors';
import { type ResolvedOptions, seconds } from './options';
import type { Transport, TransportFactory } from './transport';
import { Listeners } from './listeners';
import { PendingRequests } from './requests';
import { PRESENCE_DIFF, PRESENCE_STATE, type PresenceDiff, type PresenceState } from './presence';
import { ClientSession, type ResumeResult } from './resume';
import { ClientTokens } from './token-refresh';
import { activeTraceparent } from './trace-context';

export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

interface QueuedMessage {
  readonly name: string;
  readonly text: string;
  /** A request's id: when its request is no longer pending (timed out), it is not sent. */
  readonly id: number | undefined;
}

/** How long close() waits for the server's half of the close handshake before dropping the socket. */
const CLOSE_HANDSHAKE_MS = 5000;

export class DuetClient<K extends AnyContract = AnyContract> {
  #state: ClientState = 'connecting';
  #closeInfo: CloseInfo | undefined;
  #transport: Transport | undefined;
  #attempts = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #silenceTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #requests = new PendingRequests();
  #queue: QueuedMessage[] = [];
  readonly #listeners = new Listeners<[unknown]>();
  readonly #stateListeners = new Listeners<[ClientState, ClientState]>();
  #openWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #closeWaiters: (() => void)[] = [];
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
    if (this.typed && !Object.hasOwn(this.contract.requests, name) && !Object.hasOwn(this.contract.messages, name)) {
      throw new ClientArgumentError(`'${String(name)}' is neither a request nor a message of the contract.`);
    }
    this.#write(name, this.#encode(name, data, undefined), undefined);
  }

  /**
   * Sends a request and resolves with its reply. The timeout (default `requestTimeout`) runs
   * from the call, time spent in the offline queue included.
   * @throws RequestTimeoutError, ConnectionLostError, RemoteError, OfflineQueueFullError, ClientClosedError
   */
  request<N extends RequestName<K>>(name: N, data: MessageData<K, N>, options?: { timeout?: number }): Promise<ReplyOf<K, N>> {
    return new Promise((resolve, reject) => {
      if (this.typed && !Object.hasOwn(this.contract.requests, name)) {
        throw new ClientArgumentError(`'${String(name)}' is not a request of the contract.`);
      }
      const timeout = options?.timeout === undefined ? this.options.requestTimeout : seconds('timeout', options.timeout);
      const id = this.#requests.nextId();
      const text = this.#encode(name, data, id);
      const dequeue = () => void (this.#queue = this.#queue.filter((queued) => queued.id !== id));
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
    return new Promise((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
  }

  /** Closes for good (no reconnect); resolves when the socket is closed. Pending requests reject with ClientClosedError. */
  close(code = 1000, reason = ''): Promise<void> {
    if (code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      return Promise.reject(new ClientArgumentError(`A client may close with 1000 or 3000–4999 (got ${code}).`));
    }
    const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    if (this.#state === 'closed') {
      if (this.#transport === undefined) this.#settleClose();
      return closed;
    }
    const transport = this.#transport;
    this.#finish({ code, reason, by: 'client' });
    if (transport === undefined) {
      this.#settleClose();
    } else {
      transport.close(code, reason);
      const bound = setTimeout(() => {
        transport.abort();
        this.#transport = undefined;
        this.#settleClose();
      }, CLOSE_HANDSHAKE_MS);
      this.#closeWaiters.push(() => clearTimeout(bound));
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
    this.#armSilenceTimer();
    this.#tokens.opened();
    // The queue goes out before anyone hears of 'open', so what they send then comes after it.
    const queue = this.#queue;
    this.#queue = [];
    for (const queued of queue) {
      if (queued.id === undefined || this.#requests.has(queued.id)) this.#sendNow(queued.text);
    }
    const waiters = this.#openWaiters;
    this.#openWaiters = [];
    for (const waiter of waiters) waiter.resolve();
    this.#stateListeners.emit('', this.#state, previous);
  }

  #lost(code: number, reason: string, status?: number): void {
    clearTimeout(this.#silenceTimer);
    if (this.#state === 'closed') {
      this.#settleClose();
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
    const queuedIds = new Set(this.#queue.map((queued) => queued.id));
    this.#requests.failAll((name) => new ConnectionLostError(name, code, reason), queuedIds);
  }

  /** `serverTimeout`: a server that sends nothing for that long is taken for dead. */
  #armSilenceTimer(): void {
    const timeout = this.options.serverTimeout;
    if (timeout === undefined) return;
    clearTimeout(this.#silenceTimer);
    this.#silenceTimer = setTimeout(() => {
      const transport = this.#transport;
      if (transport === undefined) return;
      this.#transport = undefined;
      transport.abort();
      this.#lost(1006, `no message from the server within serverTimeout (${timeout} s)`);
    }, timeout * 1000);
  }

  #received(data: string | Uint8Array): void {
    this.#armSilenceTimer();
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

  #encode(name: string, data: unknown, id: number | undefined): string {
    const message = encodeMessage(this.contract, name, data, id);
    if (message === undefined) throw new ClientArgumentError(`The data of '${name}' must be a plain object of fields.`);
    // The span active at the call (not at a later write from the offline queue) is the parent.
    const field = this.options.traceparentField;
    if (field !== undefined && message[field] === undefined) {
      const traceparent = activeTraceparent();
      if (traceparent !== undefined) message[field] = traceparent;
    }
    try {
      return JSON.stringify(message);
    } catch (error) {
      throw new ClientArgumentError(`The data of '${name}' has no JSON form.`, { cause: error });
    }
  }

  #write(name: string, text: string, id: number | undefined): void {
    if (this.#state === 'open') {
      this.#sendNow(text);
    } else if (this.#state === 'closed') {
      throw new ClientClosedError(this.#closeInfo!);
    } else {
      if (this.#queue.length >= this.options.offlineQueue) throw new OfflineQueueFullError(this.options.offlineQueue, name);
      this.#queue.push({ name, text, id });
    }
  }

  #sendNow(text: string): void {
    this.#transport!.send(text);
    this.#session?.sent(text);
  }

  // --- the end -------------------------------------------------------------------------

  #finish(info: Omit<CloseInfo, 'unsent'>): void {
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#silenceTimer);
    this.#tokens.lost(info.code, info.reason);
    this.#session?.disable();
    const unsent = this.#queue.filter((queued) => queued.id === undefined).length;
    this.#queue = [];
    this.#closeInfo = Object.freeze({ ...info, unsent });
    const error = new ClientClosedError(this.#closeInfo);
    this.#requests.failAll(() => error);
    const waiters = this.#openWaiters;
    this.#openWaiters = [];
    this.#setState('closed');
    for (const waiter of waiters) waiter.reject(error);
  }

  #settleClose(): void {
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #setState(state: ClientState): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    this.#stateListeners.emit('', state, previous);
  }
}
