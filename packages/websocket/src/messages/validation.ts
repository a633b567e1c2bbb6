// Bad messages: turning a schema's issues into Duet's, and the default error reply a client
// receives — the validator's own messages, so a client can show them.
import { type AuthorizationError, MessageValidationError, type MessageIssue, type RateLimitError } from '../errors';

/** What a typed message's error reply answers: a bad message, or one its policy refused. */
export type ErrorReplyCause = MessageValidationError | AuthorizationError | RateLimitError;
import type { StandardIssue } from './standard-schema';

export function schemaError(key: string, issues: readonly StandardIssue[]): MessageValidationError {
  return new MessageValidationError(`The '${key}' message is not valid.`, 'schema', issues.map(toIssue));
}

export function invalidJsonError(): MessageValidationError {
  return new MessageValidationError('The message is not valid JSON.', 'invalid-json', [
    { message: 'Expected a JSON text', path: [] },
  ]);
}

export function unmatchedError(dispatcherKey: string, key: unknown): MessageValidationError {
  const shown = typeof key === 'string' ? `'${key}'` : 'missing';
  return new MessageValidationError(`No handler for a message whose '${dispatcherKey}' is ${shown}.`, 'unmatched', [
    { message: `Unknown ${dispatcherKey}: ${shown}`, path: [dispatcherKey] },
  ]);
}

/**
 * `{ <dispatcherKey>: 'error', message, issues: [{ message, path }] }`; a refused message's
 * reply also has its `code` (`DUET_ERR_AUTHORIZATION` with `missingScopes`, or `DUET_ERR_RATE_LIMITED`).
 */
export function defaultErrorReply(dispatcherKey: string, error: ErrorReplyCause): Record<string, unknown> {
  if (error instanceof MessageValidationError) return { [dispatcherKey]: 'error', message: error.message, issues: error.issues };
  const reply: Record<string, unknown> = { [dispatcherKey]: 'error', code: error.code, message: error.message, issues: [] };
  if ('missingScopes' in error) reply.missingScopes = error.missingScopes;
  return reply;
}

function toIssue(issue: StandardIssue): MessageIssue {
  const path = (issue.path ?? []).map((segment) => {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    return typeof key === 'number' ? key : String(key);
  });
  return { message: issue.message, path };
}

/** A message a client read with a schema (`readMessage({ schema })`) that the schema refused. */
export function readSchemaError(issues: readonly StandardIssue[]): MessageValidationError {
  return new MessageValidationError('The message read does not match its schema.', 'schema', issues.map(toIssue));
}

/** A request handler's return value that its contract's `reply` schema refused. */
export function replySchemaError(key: string, issues: readonly StandardIssue[]): MessageValidationError {
  return new MessageValidationError(`The reply to '${key}' does not match the contract.`, 'schema', issues.map(toIssue));
}
