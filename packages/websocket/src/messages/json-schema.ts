// JSON Schemas of message payloads for the AsyncAPI document, from whatever the validator can
// give. Validation libraries are reached duck-typed or lazily, so @duet/websocket depends on
// none of them: a project that uses zod has zod, and only then is it loaded.
import type { StandardSchemaV1 } from './standard-schema';

/** A JSON Schema as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** Which side of a schema: what a message may look like (`input`) or what a handler produces (`output`). */
export type SchemaSide = 'input' | 'output';

/** The JSON Schema of a payload and where it came from. */
export interface PayloadSchema {
  readonly schema: JsonSchema;
  /** `'jsonSchema'` (the option), the library that produced it, or `'unknown'`. */
  readonly source: string;
}

// Draft 07 is what AsyncAPI 3.0's default schema format (a superset of it) expects.
const TARGET = 'draft-07';

interface StandardJsonSchemaConverter {
  input?: (options: { target: string }) => unknown;
  output?: (options: { target: string }) => unknown;
}

/**
 * The JSON Schema for a message: the explicit `jsonSchema` option first, then the schema's
 * Standard JSON Schema converter (`~standard.jsonSchema`, zod ≥ 4.2 and others), then the
 * vendor's own converter (zod 4's `toJSONSchema`, arktype's `toJsonSchema()`, valibot's
 * `@valibot/to-json-schema` when installed). `undefined` when none of them can say.
 */
export function payloadSchemaOf(
  explicit: object | undefined,
  schema: StandardSchemaV1 | undefined,
  side: SchemaSide,
): PayloadSchema | undefined {
  if (explicit !== undefined) return { schema: explicit as JsonSchema, source: 'jsonSchema' };
  if (schema === undefined) return undefined;
  const vendor = schema['~standard'].vendor;
  const converted =
    fromStandardJsonSchema(schema, side) ??
    (vendor === 'zod' ? fromZod(schema, side) : undefined) ??
    (vendor === 'arktype' ? fromArktype(schema) : undefined) ??
    (vendor === 'valibot' ? fromValibot(schema) : undefined);
  return converted === undefined ? undefined : { schema: withoutDialect(converted), source: vendor };
}

function fromStandardJsonSchema(schema: StandardSchemaV1, side: SchemaSide): JsonSchema | undefined {
  const converter = (schema['~standard'] as { jsonSchema?: StandardJsonSchemaConverter }).jsonSchema;
  const convert = converter?.[side];
  if (typeof convert !== 'function') return undefined;
  return attempt(() => convert.call(converter, { target: TARGET }));
}

// zod 4.0 and 4.1 have `z.toJSONSchema` but not yet the Standard JSON Schema converter.
function fromZod(schema: StandardSchemaV1, side: SchemaSide): JsonSchema | undefined {
  const zod = optionalRequire('zod') as { toJSONSchema?: (schema: unknown, options: object) => unknown } | undefined;
  if (typeof zod?.toJSONSchema !== 'function') return undefined; // zod 3 has none
  const toJSONSchema = zod.toJSONSchema;
  return attempt(() => toJSONSchema(schema, { target: 'draft-7', io: side, unrepresentable: 'any' }));
}

function fromArktype(schema: StandardSchemaV1): JsonSchema | undefined {
  const toJsonSchema = (schema as { toJsonSchema?: () => unknown }).toJsonSchema;
  if (typeof toJsonSchema !== 'function') return undefined;
  return attempt(() => toJsonSchema.call(schema));
}

function fromValibot(schema: StandardSchemaV1): JsonSchema | undefined {
  const converter = optionalRequire('@valibot/to-json-schema') as { toJsonSchema?: (schema: unknown) => unknown } | undefined;
  if (typeof converter?.toJsonSchema !== 'function') return undefined;
  const toJsonSchema = converter.toJsonSchema;
  return attempt(() => toJsonSchema(schema));
}

// A converter that throws (a transform it cannot express, say) means "no JSON Schema", not a
// failed document: the payload is then documented as unknown.
function attempt(convert: () => unknown): JsonSchema | undefined {
  try {
    const result = convert();
    return result !== null && typeof result === 'object' && !Array.isArray(result) ? (result as JsonSchema) : undefined;
  } catch {
    return undefined;
  }
}

function optionalRequire(name: string): unknown {
  try {
    return require(name);
  } catch {
    return undefined;
  }
}

// The document says which dialect its schemas are in; a converter's `$schema` would only
// contradict it (2020-12 from one library, draft 07 from another).
function withoutDialect(schema: JsonSchema): JsonSchema {
  if (!('$schema' in schema)) return schema;
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}
