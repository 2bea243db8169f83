/**
 * Text a key, a field name or a stored string may hold: well-formed UTF-16, that is, no lone
 * surrogate. Redis stores bytes and the server sends UTF-8, which has no encoding for a lone
 * surrogate: it would become U+FFFD, so "\ud800" and "\udbff" would name the same key.
 */

// String.prototype.isWellFormed (ES2024, in Node 20) is missing from the ES2023 library this
// project compiles against (Node 20 lacks other ES2024 parts). It answers at once for text that
// holds only Latin-1 characters, which V8 stores one byte a character.
const isWellFormed = (String.prototype as unknown as { isWellFormed: (this: string) => boolean }).isWellFormed;

export function isWellFormedText(text: string): boolean {
  return isWellFormed.call(text);
}

/** Where the first lone surrogate is, and which, for a message. */
export function describeLoneSurrogate(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const paired = unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (paired) {
      i++;
      continue;
    }
    return `a lone UTF-16 surrogate (\\u${unit.toString(16)} at index ${i}), which UTF-8 cannot store`;
  }
  return 'no lone surrogate';
}

export const wellFormedMessage = 'must be well-formed Unicode text: a lone UTF-16 surrogate (\\ud800 to \\udfff, unpaired) cannot be stored exactly';
