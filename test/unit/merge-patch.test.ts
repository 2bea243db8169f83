import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMergePatch } from '../../src/primitives/merge-patch.js';

/** JSON Merge Patch against RFC 7396's own examples and the RFC's pseudocode as a reference model. */

// RFC 7396, Appendix A: original, patch, result.
const rfcExamples: [string, string, string][] = [
  ['{"a":"b"}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"b"}', '{"b":"c"}', '{"a":"b","b":"c"}'],
  ['{"a":"b"}', '{"a":null}', '{}'],
  ['{"a":"b","b":"c"}', '{"a":null}', '{"b":"c"}'],
  ['{"a":["b"]}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"c"}', '{"a":["b"]}', '{"a":["b"]}'],
  ['{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', '{"a":{"b":"d"}}'],
  ['{"a":[{"b":"c"}]}', '{"a":[1]}', '{"a":[1]}'],
  ['["a","b"]', '["c","d"]', '["c","d"]'],
  ['{"a":"b"}', '["c"]', '["c"]'],
  ['{"a":"foo"}', 'null', 'null'],
  ['{"a":"foo"}', '"bar"', '"bar"'],
  ['{"e":null}', '{"a":1}', '{"e":null,"a":1}'],
  ['[1,2]', '{"a":"b","c":null}', '{"a":"b"}'],
  ['{}', '{"a":{"bb":{"ccc":null}}}', '{"a":{"bb":{}}}'],
];

// RFC 7396, section 3.
const rfcSection3 = {
  target: '{"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},"tags":["example","sample"],"content":"This will be unchanged"}',
  patch: '{"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}',
  result: '{"title":"Hello!","author":{"givenName":"John"},"tags":["example"],"content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}',
};

type Json = null | boolean | number | string | Json[] | { [name: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The RFC's pseudocode, written as literally as it reads, over a deep copy. */
function referenceMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result = new Map<string, Json>(isObject(target) ? Object.entries(target) : []);
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) result.delete(name);
    else result.set(name, referenceMergePatch(result.get(name), value));
  }
  const object: Record<string, Json> = {};
  for (const [name, value] of result) Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

/** A patch that takes `from` to `to` when `to` holds no null member in any object. */
function diff(from: Json, to: Json): Json {
  if (!isObject(from) || !isObject(to)) return to;
  const patch: Record<string, Json> = {};
  const set = (name: string, value: Json) => Object.defineProperty(patch, name, { value, enumerable: true, writable: true, configurable: true });
  for (const name of Object.keys(from)) if (!Object.hasOwn(to, name)) set(name, null);
  for (const [name, value] of Object.entries(to)) {
    if (!Object.hasOwn(from, name)) set(name, value);
    else if (JSON.stringify(from[name]) !== JSON.stringify(value)) set(name, diff(from[name]!, value));
  }
  return patch;
}

function withoutNullMembers(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutNullMembers);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNullMembers(v)]),
  );
}

// Few member names, so patches and targets overlap and nest into each other often.
const json: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Json>(null, true, false, 0, -1.5, '', 'x'),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor'), tie('value'), { maxKeys: 4 }),
  ),
})).value as fc.Arbitrary<Json>;

describe('JSON Merge Patch (RFC 7396)', () => {
  it.each(rfcExamples)('%s patched with %s is %s', (target, patch, result) => {
    expect(applyMergePatch(JSON.parse(target), JSON.parse(patch))).toEqual(JSON.parse(result));
  });

  it('gives the result of section 3 of the RFC', () => {
    expect(applyMergePatch(JSON.parse(rfcSection3.target), JSON.parse(rfcSection3.patch))).toEqual(JSON.parse(rfcSection3.result));
  });

  it('agrees with the RFC pseudocode on any target and patch', () => {
    fc.assert(
      fc.property(json, json, (target, patch) => {
        expect(JSON.stringify(applyMergePatch(target, patch))).toBe(JSON.stringify(referenceMergePatch(target, patch)));
      }),
      { numRuns: 2000 },
    );
  });

  it('changes neither argument, and applying the same patch twice changes nothing more', () => {
    fc.assert(
      fc.property(json, json, (target, patch) => {
        const [targetText, patchText] = [JSON.stringify(target), JSON.stringify(patch)];
        const once = applyMergePatch(target, patch);
        expect(JSON.stringify(target)).toBe(targetText);
        expect(JSON.stringify(patch)).toBe(patchText);
        expect(JSON.stringify(applyMergePatch(once, patch))).toBe(JSON.stringify(once));
      }),
      { numRuns: 1000 },
    );
  });

  it('takes any document to any other that has no null members, through the patch between them', () => {
    fc.assert(
      fc.property(json, json.map(withoutNullMembers), (from, to) => {
        expect(applyMergePatch(from, diff(from, to))).toEqual(to);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a member named "__proto__" as a member, never as the prototype', () => {
    const patched = applyMergePatch({ a: 1 }, JSON.parse('{"__proto__":{"polluted":true}}')) as Record<string, unknown>;
    expect(Object.keys(patched)).toEqual(['a', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(patched)).toBe('{"a":1,"__proto__":{"polluted":true}}');
  });
});
