// `readMessage({ schema })` of the pull client: the message read is parsed as JSON and checked by
// a Standard Schema; what fails is a `MessageValidationError`, as on the server, and the
// connection goes on (the message was taken).
import { InvalidArgumentError } from '../errors';
import { type StandardSchemaV1, isStandardSchema } from '../messages/standard-schema';
import { invalidJsonError, readSchemaError } from '../messages/validation';
import { type MessageQueue, ReadKind } from './message-queue';

/** The next message of `queue`: any kind without options, else JSON text `options.schema` accepts. */
export function readFrom(queue: MessageQueue, options: { schema: StandardSchemaV1 } | undefined): Promise<unknown> {
  if (options === undefined) return queue.read(ReadKind.Any);
  const schema = options?.schema;
  if (!isStandardSchema(schema)) {
    return Promise.reject(new InvalidArgumentError('readMessage takes { schema } with a Standard Schema v1 validator (zod ≥ 3.24, valibot, arktype…)'));
  }
  return queue.read(ReadKind.Text).then((text) => validateRead(schema, text as string));
}

/** The schema's output for `text`, or a `MessageValidationError` (not JSON, or its issues). */
export async function validateRead(schema: StandardSchemaV1, text: string): Promise<unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidJsonError();
  }
  const result = await schema['~standard'].validate(value);
  if (result.issues !== undefined) throw readSchemaError(result.issues);
  return result.value;
}
