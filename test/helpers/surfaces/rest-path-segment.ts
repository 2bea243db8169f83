/**
 * One path parameter as a URL path segment. Everything but letters, digits, "-", "_" and "~" is
 * percent-encoded as UTF-8, so a key holding "/", "?", "#", "%" or spaces stays one segment and
 * "." or ".." is never read as a dot segment. Lone UTF-16 surrogates, which UTF-8 cannot hold,
 * become U+FFFD as a browser's URL parser makes them.
 */
export function restPathSegment(value: unknown): string {
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  let segment = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    segment += /[A-Za-z0-9_~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return segment;
}
