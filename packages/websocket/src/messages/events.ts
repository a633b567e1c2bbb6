// Contract events on the wire: `caller.emit(event, data)` and a broadcast's `emit` write
// `{ [dispatcherKey]: event, ...data }`, the flat object @duet/client hands to `client.on(event)`.
import { type AnyContract, type EventName, type InferInput, encodeMessage } from '@duet/contract';
import { InvalidArgumentError } from '../errors';
import { toJsonFrame } from '../frames';

/** What `emit(event, data)` takes: the event schema's input, without the dispatcher key. */
export type EventPayload<K extends AnyContract, E extends EventName<K>> =
  InferInput<K['events'][E]> extends object ? Omit<InferInput<K['events'][E]>, K['dispatcherKey']> : Record<string, unknown>;

/**
 * The JSON text of `event` under `contract`, or the InvalidArgumentError that says why there is
 * none (no contract, an event it does not declare, data that is not a plain object). A value
 * without a JSON form throws ReplyEncodingError.
 */
export function eventText(contract: AnyContract | undefined, event: unknown, data: unknown, where: string): string | InvalidArgumentError {
  if (contract === undefined) return new InvalidArgumentError(`${where} needs a service with a contract (@WebSocketService({ contract }))`);
  if (typeof event !== 'string' || !Object.hasOwn(contract.events, event)) {
    const declared = Object.keys(contract.events);
    return new InvalidArgumentError(
      `${where}: ${typeof event === 'string' ? `'${event}'` : typeof event} is not an event of the contract ` +
        `(its events: ${declared.length === 0 ? 'none' : declared.join(', ')})`,
    );
  }
  const message = encodeMessage(contract, event, data);
  if (message === undefined) return new InvalidArgumentError(`${where}('${event}') takes a plain object of fields, got ${typeof data}`);
  return toJsonFrame(message, `the '${event}' event`);
}
