import { describeLoneSurrogate, isWellFormedText } from '../../schema/well-formed.js';

/**
 * The value codec (the contract is written out in the README, "Values").
 *
 * Writing. Strings are stored verbatim so other Redis clients read plain text; any other JSON
 * value is stored as its JSON text; a string that would itself parse as JSON is stored
 * JSON-encoded so it cannot come back as a number or an object. A value is stored only if it
 * comes back exactly: numbers finite and within ±(2^53−1), text well-formed UTF-16 (member names
 * too), arrays and objects nested at most `maxNestingDepth` deep. Anything else is refused
 * (UnstorableValueError, naming where in the value), never altered.
 *
 * Reading. Text that parses as JSON is returned parsed, anything else as the string. Text that
 * parses as JSON but cannot be answered exactly (a number beyond ±(2^53−1) or overflowing to
 * Infinity, nesting deeper than `maxNestingDepth`) throws UndecodableValueError: only another
 * client can have stored it, and the stored text stays readable untouched (`raw: true`).
 *
 * Removing. A tool that removes what it reads (pops, moves, getdel, claims, a replaced value)
 * cannot refuse to answer: the value would be lost. It answers such text as the stored text
 * itself, marked `undecodable` beside it (decodeRemoved), and never VALUE_UNDECODABLE.
 */

/**
 * The deepest nesting of arrays and objects a value may have, written or read. Serialising
 * recurses (JSON.stringify, and most clients' parsers): some thousands of levels exhaust a
 * stack, so without a bound a deep value stored by another client could not be answered at all.
 * 512 is far beyond real data and well within every stack the answer meets.
 */
export const maxNestingDepth = 512;

/** Integers beyond this are not all representable as doubles: a parsed one may have lost digits. */
const largestExact = Number.MAX_SAFE_INTEGER;

/** A value that cannot be stored exactly. `path` is where inside it, e.g. `.a[2]` ("" for the value itself). */
export class UnstorableValueError extends Error {
  override readonly name = 'UnstorableValueError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`value${path} ${reason}`);
  }
}

/** Stored text that parses as JSON but cannot be answered exactly. `path` as above. */
export class UndecodableValueError extends Error {
  override readonly name = 'UndecodableValueError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`stored value${path} ${reason}`);
  }
}

interface Problem {
  /** Path segments from the innermost outwards, collected only once a problem is found. */
  segments: string[];
  reason: string;
}

const nestedTooDeeply = `nests arrays and objects deeper than ${maxNestingDepth} levels`;

function numberProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) return 'is not a finite number (JSON text such as 1e400 overflows to Infinity)';
  if (value > largestExact || value < -largestExact) {
    return 'is a number beyond ±(2^53−1), which cannot be known to be exact (store such numbers as strings)';
  }
  return undefined;
}

/**
 * The first part of `value` that cannot be stored (when checking text too) or answered exactly.
 * Recursion is bounded by maxNestingDepth. Paths are built only on the way out of a failure,
 * so a value that passes costs one visit per array element and object member.
 */
function findProblem(value: unknown, depth: number, checkText: boolean): Problem | undefined {
  if (typeof value === 'string') {
    return checkText && !isWellFormedText(value) ? { segments: [], reason: `holds ${describeLoneSurrogate(value)}` } : undefined;
  }
  if (typeof value === 'number') {
    // NaN fails both comparisons, and ±Infinity the bound.
    if (value <= largestExact && value >= -largestExact) return undefined;
    return { segments: [], reason: numberProblem(value)! };
  }
  if (typeof value !== 'object' || value === null) {
    if (value === null || typeof value === 'boolean') return undefined;
    // Not from JSON input; only a library caller could pass undefined, a function or a bigint.
    return { segments: [], reason: `is not a JSON value (${typeof value})` };
  }
  if (depth >= maxNestingDepth) return { segments: [], reason: nestedTooDeeply };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = findProblem(value[i], depth + 1, checkText);
      if (problem) return (problem.segments.push(`[${i}]`), problem);
    }
    return undefined;
  }
  // for-in rather than Object.keys: no array per object. JSON objects have no inherited
  // enumerable members, and JSON.parse makes even "__proto__" an own one.
  for (const name in value) {
    if (checkText && !isWellFormedText(name)) {
      return { segments: [`[${JSON.stringify(name)}]`], reason: `is a member name holding ${describeLoneSurrogate(name)}` };
    }
    const problem = findProblem((value as Record<string, unknown>)[name], depth + 1, checkText);
    if (problem) return (problem.segments.push(memberSegment(name)), problem);
  }
  return undefined;
}

/** `.name`, or `["name"]` when a dot path would misread it. */
function memberSegment(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function pathOf(problem: Problem): string {
  return problem.segments.reverse().join('');
}

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

/** The text to store for a JSON value; throws UnstorableValueError for one that would not come back exactly. */
export function encodeValue(value: unknown): string {
  if (typeof value === 'string') {
    if (!isWellFormedText(value)) throw new UnstorableValueError('', `holds ${describeLoneSurrogate(value)}`);
    return parsesAsJson(value) ? JSON.stringify(value) : value;
  }
  const problem = findProblem(value, 0, true);
  if (problem) throw new UnstorableValueError(pathOf(problem), problem.reason);
  return JSON.stringify(value);
}

/** A reader of stored text: the text untouched for tools called with raw: true, else decodeValue. */
export function decoderFor(raw: boolean): (text: string) => unknown {
  return raw ? (text) => text : decodeValue;
}

/** The value stored as `text`; throws UndecodableValueError for JSON text that cannot be answered exactly. */
export function decodeValue(text: string): unknown {
  if (!jsonStart.test(text)) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return text;
    // Not a syntax error (out of memory, a stack exhausted): the text is JSON but cannot be read.
    throw new UndecodableValueError('', 'cannot be parsed here');
  }
  // Strings need no check here: a lone surrogate can only come from a \u escape in the text, and
  // the answer (JSON) carries it exactly as that escape.
  const problem = findProblem(value, 0, false);
  if (problem) throw new UndecodableValueError(pathOf(problem), problem.reason);
  return value;
}

/**
 * A value a tool has removed (popped, moved, claimed, replaced): it must be answered whatever the
 * stored text holds, since an error would lose it. Text that cannot be answered exactly is
 * answered as the stored text itself, flagged `undecodable` (the tools' answers say so in a field
 * named `undecodable` beside the value).
 */
export interface RemovedValue {
  value: unknown;
  undecodable: boolean;
}

/** decodeValue for a removed value: the stored text, flagged, where decodeValue would throw. */
export function decodeRemoved(text: string): RemovedValue {
  try {
    return { value: decodeValue(text), undecodable: false };
  } catch (error) {
    if (error instanceof UndecodableValueError) return { value: text, undecodable: true };
    throw error;
  }
}

/** decodeRemoved for several values: the values in order, and the positions of those answered as stored text. */
export function decodeRemovedAll(texts: readonly string[]): { values: unknown[]; undecodable: number[] } {
  const undecodable: number[] = [];
  const values = texts.map((text, i) => {
    const removed = decodeRemoved(text);
    if (removed.undecodable) undecodable.push(i);
    return removed.value;
  });
  return { values, undecodable };
}

/** The marker beside a single removed value: `undecodable: true` only when it is the stored text. */
export function flagUndecodable(undecodable: boolean): { undecodable?: true } {
  return undecodable ? { undecodable: true } : {};
}

/** The marker beside several removed values: the positions (or field names) answered as stored text; absent when none. */
export function listUndecodable<T>(marked: readonly T[]): { undecodable?: T[] } {
  return marked.length > 0 ? { undecodable: [...marked] } : {};
}
