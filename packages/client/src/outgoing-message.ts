// How a message the application sends becomes the text on the wire: encoded by the contract,
// with the `traceparent` of the span active at the call (not at a later write from the offline
// queue), and checked to have a JSON form before anything is queued or sent.
import { type AnyContract, encodeMessage } from '@duet/contract';
import { ClientArgumentError } from './errors';
import { activeTraceparent } from './trace-context';

/** The text of message `name` (request `id`, if one); throws ClientArgumentError for data that cannot be sent. */
export function encodeOutgoing(contract: AnyContract, name: string, data: unknown, id: number | undefined, traceparentField: string | undefined): string {
  const message = encodeMessage(contract, name, data, id);
  if (message === undefined) throw new ClientArgumentError(`The data of '${name}' must be a plain object of fields.`);
  if (traceparentField !== undefined && message[traceparentField] === undefined) {
    const traceparent = activeTraceparent();
    if (traceparent !== undefined) message[traceparentField] = traceparent;
  }
  try {
    return JSON.stringify(message);
  } catch (error) {
    throw new ClientArgumentError(`The data of '${name}' has no JSON form.`, { cause: error });
  }
}

/** For a typed client: throws ClientArgumentError unless the contract has request `name` (or, to `send`, message `name`). */
export function checkOutgoingName(contract: AnyContract, name: string, call: 'send' | 'request'): void {
  if (Object.hasOwn(contract.requests, name)) return;
  if (call === 'request') throw new ClientArgumentError(`'${name}' is not a request of the contract.`);
  if (!Object.hasOwn(contract.messages, name)) throw new ClientArgumentError(`'${name}' is neither a request nor a message of the contract.`);
}
