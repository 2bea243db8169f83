import fc from 'fast-check';

/**
 * The value rule of the codec contract (README, "Values"), written out independently of
 * src/redis/codec.ts so that tests check the code against the rule, not against itself: a value
 * is stored only if it comes back exactly. Numbers finite and within ±(2^53−1); strings and
 * member names well-formed UTF-16 (no lone surrogate); at most 512 levels of arrays and objects.
 * For a refused value, `path` is where the first offence is, in document order (e.g. `.a[2]`,
 * `["x y"]`), as the server names it after the argument's own name.
 */
export type Verdict = { ok: true } | { ok: false; path: string };

const maxDepth = 512;

function wellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff) i++;
    else if (unit >= 0xd800 && unit <= 0xdfff) return false;
  }
  return true;
}

function member(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

export function exactlyStorable(value: unknown, path = '', level = 0): Verdict {
  if (typeof value === 'number') return Number.isFinite(value) && Math.abs(value) <= 2 ** 53 - 1 ? { ok: true } : { ok: false, path };
  if (typeof value === 'string') return wellFormed(value) ? { ok: true } : { ok: false, path };
  if (value === null || typeof value === 'boolean') return { ok: true };
  if (level + 1 > maxDepth) return { ok: false, path };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const verdict = exactlyStorable(value[i], `${path}[${i}]`, level + 1);
      if (!verdict.ok) return verdict;
    }
    return { ok: true };
  }
  for (const [name, inner] of Object.entries(value as object)) {
    if (!wellFormed(name)) return { ok: false, path: `${path}[${JSON.stringify(name)}]` };
    const verdict = exactlyStorable(inner, path + member(name), level + 1);
    if (!verdict.ok) return verdict;
  }
  return { ok: true };
}

export function nested(depth: number, inner: unknown = 0): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Text holding one lone surrogate (fc.string() is printable ASCII, so nothing pairs with it). */
export const loneSurrogateText = fc
  .tuple(fc.string({ maxLength: 6 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 6 }))
  .map(([before, unit, after]) => before + String.fromCharCode(unit) + after);

/** Numbers a double cannot be trusted to hold exactly (all survive JSON text; Infinity does not). */
export const inexactNumber = fc.oneof(
  // eslint-disable-next-line no-loss-of-precision -- a number past 2^53, on purpose
  fc.constantFrom(2 ** 53, -(2 ** 53), 1e300, -1e20, Number.MAX_VALUE, 12345678901234567891),
  fc.double({ min: 2 ** 53, noNaN: true, noDefaultInfinity: true }),
  fc.double({ max: -(2 ** 53), noNaN: true, noDefaultInfinity: true }),
);

const offence = fc.oneof(
  inexactNumber,
  loneSurrogateText,
  fc.tuple(loneSurrogateText, fc.jsonValue({ maxDepth: 1 })).map(([name, inner]) => Object.fromEntries([[name, inner]])),
  fc.integer({ min: maxDepth + 1, max: maxDepth + 200 }).map((depth) => nested(depth)),
);

/** JSON values with something the codec must refuse somewhere inside (usually). */
export const unstorableValue: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    offence,
    fc.array(fc.oneof(fc.jsonValue({ maxDepth: 2 }), tie('node')), { minLength: 1, maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.jsonValue({ maxDepth: 2 }), tie('node')), { minKeys: 1, maxKeys: 4 }),
  ),
})).node;
