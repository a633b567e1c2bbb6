// YAML for JSON values: block mappings and sequences, plain scalars where they cannot be
// misread, double-quoted (JSON) strings everywhere else. Enough for an AsyncAPI document
// without a YAML library, and deterministic, so a committed document can be compared as text.
import { InvalidArgumentError } from '../errors';

/**
 * Writes a JSON value (objects, arrays, strings, finite numbers, booleans, `null`) as a YAML
 * 1.2 document ending in a newline. Keys keep their insertion order.
 *
 * @example
 * ```ts
 * toYaml({ asyncapi: '3.0.0', info: { title: 'Feed' } });
 * // asyncapi: "3.0.0"\ninfo:\n  title: Feed\n
 * ```
 */
export function toYaml(value: unknown): string {
  return `${lines(value, '$').join('\n')}\n`;
}

function lines(value: unknown, where: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return ['[]'];
    return value.flatMap((item, index) => indentItem(lines(item, `${where}[${index}]`)));
  }
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, entry]) => entry !== undefined);
    if (entries.length === 0) return ['{}'];
    return entries.flatMap(([key, entry]) => keyed(scalar(key, `${where}.${key}`), lines(entry, `${where}.${key}`), entry));
  }
  return [scalar(value, where)];
}

function keyed(key: string, body: string[], value: unknown): string[] {
  const nested = body[0] !== '[]' && body[0] !== '{}' && isObject(value);
  if (!nested) return [`${key}: ${body[0]}`];
  // Sequences under a key are not indented further: the conventional, still valid, form.
  const indent = Array.isArray(value) ? '' : '  ';
  return [`${key}:`, ...body.map((line) => indent + line)];
}

function indentItem(body: string[]): string[] {
  return body.map((line, index) => (index === 0 ? `- ${line}` : `  ${line}`));
}

// A letter or `/` first, then letters, digits, spaces and a few marks: never a number, a boolean, a
// null, an indicator (`-`, `?`, `:`, `#`, `&`, `*`, `!`, `|`, `>`, quotes, `%`, `@`, backtick)
// or a `key: value` / ` #comment` sequence, so the plain form reads back as the same string.
const PLAIN = /^[A-Za-z_$/][A-Za-z0-9_$ ./()'+-]*$/;
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n)$/i;

function scalar(value: unknown, where: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return String(value);
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidArgumentError(`toYaml: ${where} is ${value}, which JSON cannot hold`);
      return JSON.stringify(value);
    case 'string':
      return PLAIN.test(value) && !RESERVED.test(value) && !value.endsWith(' ') ? value : quoted(value);
    default:
      throw new InvalidArgumentError(`toYaml: ${where} is a ${typeof value}, which JSON cannot hold`);
  }
}

// JSON's escapes are YAML's; YAML also wants DEL, the C1 controls and the BOM escaped.
function quoted(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u0084\u0086-\u009f\ufeff\ufffe\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}
