// `readMessage({ schema })` of the pull client: the message read is parsed as JSON and checked by
// a Standard Schema; what fails is a `MessageValidationError`, as on the server, and the
// connection goes on (the message was taken).
import type { StandardSchemaV1 } from '../messages/standard-schema';
import { invalidJsonError, readSchemaError } from '../messages/validation';

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
