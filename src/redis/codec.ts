/**
 * The value codec. Strings are stored verbatim so other Redis clients read plain text; any other
 * JSON value is stored as its JSON text; a string that would itself parse as JSON is stored
 * JSON-encoded so it cannot come back as a number or an object. On read, text that parses as JSON
 * is returned parsed, anything else as the string.
 */

// JSON text, after optional whitespace, starts with one of these.
const jsonStart = /^[\s]*[-0-9{["tfn]/;

function parsesAsJson(text: string): boolean {
  if (!jsonStart.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function encodeValue(value: unknown): string {
  if (typeof value === 'string') return parsesAsJson(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

export function decodeValue(text: string): unknown {
  if (!jsonStart.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
