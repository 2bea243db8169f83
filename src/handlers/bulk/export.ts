import type { ToolName } from '../../../generated/registry.js';
import { isCluster } from '../../redis/client.js';
import { currentRun } from '../../redis/run-id.js';
import { decodeValue, UndecodableValueError } from '../../redis/codec.js';
import { parseScore } from '../../redis/scores.js';
import { elementBudget, jsonBytes, withinBudget } from '../../tools/budget.js';
import type { ToolContext } from '../../tools/context.js';
import { entryFields } from '../streams/replies.js';
import { formatWalkCursor, parseWalkCursor, readPage, StepBudget, walkState, type WalkPosition } from './walk.js';

// COUNT per SCAN page: fixed, so that a page asked for again (a cursor cut inside it) is the same page.
const pageHint = 100;
const pagesPerStep = 10;
const stepMs = 1000;
// Elements of one collection an export answers at most: the largest page its own read tool allows.
const elementsPerKey = 1000;

/** How each type is read beyond what one export answers: the tool that pages through it. */
const continueWith: Record<string, ToolName> = {
  string: 'redis_getrange',
  hash: 'redis_hscan',
  list: 'redis_lrange',
  set: 'redis_smembers',
  zset: 'redis_zrange',
  stream: 'redis_xrange',
};

export interface ExportedKey {
  key: string;
  type: string;
  ttl_ms: number | null;
  value: unknown;
  raw?: true;
  complete: boolean;
  continue_with?: string;
}

/** A key's value as read: its elements (one for a string), whether more were left in Redis, and how to shape them. */
interface ReadValue {
  elements: unknown[];
  more: boolean;
  shape: (elements: unknown[]) => unknown;
}

type Decode = (text: string) => unknown;

function zsetPairs(reply: unknown[]): [string, string][] {
  // RESP3 answers [member, score] pairs; RESP2 a flat list.
  if (reply.length > 0 && Array.isArray(reply[0])) return (reply as unknown[][]).map(([member, score]) => [String(member), String(score)]);
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([String(reply[i]), String(reply[i + 1])]);
  return pairs;
}

/** Reads a key of a known type, at most elementsPerKey elements (a string whole, when it fits the budget). */
async function readValue(ctx: ToolContext, fullKey: string, type: string, decode: Decode, raw: boolean, budget: number): Promise<ReadValue | undefined> {
  const { redis } = ctx;
  const first = (elements: unknown[]) => elements;
  switch (type) {
    case 'string': {
      // Text cannot be cut and stay JSON: a string larger than a whole answer is named, not read.
      if ((await redis.strlen(fullKey)) > budget) return { elements: [], more: true, shape: () => null };
      const text = await redis.get(fullKey);
      return text === null ? undefined : { elements: [decode(text)], more: false, shape: (elements) => (elements.length ? elements[0] : null) };
    }
    case 'hash': {
      const [cursor, flat] = await redis.hscan(fullKey, '0', 'COUNT', elementsPerKey);
      const pairs: [string, unknown][] = [];
      for (let i = 0; i + 1 < flat.length && pairs.length < elementsPerKey; i += 2) pairs.push([flat[i]!, decode(flat[i + 1]!)]);
      // fromEntries defines own properties, so a field named "__proto__" stays a field.
      return {
        elements: pairs,
        more: cursor !== '0' || flat.length / 2 > pairs.length,
        shape: (elements) => Object.fromEntries(elements as [string, unknown][]),
      };
    }
    case 'list': {
      const texts = await redis.lrange(fullKey, 0, elementsPerKey);
      return { elements: texts.slice(0, elementsPerKey).map(decode), more: texts.length > elementsPerKey, shape: first };
    }
    case 'set': {
      const [cursor, texts] = await redis.sscan(fullKey, '0', 'COUNT', elementsPerKey);
      return { elements: texts.slice(0, elementsPerKey).map(decode), more: cursor !== '0' || texts.length > elementsPerKey, shape: first };
    }
    case 'zset': {
      const reply = (await redis.call('ZRANGE', fullKey, 0, elementsPerKey, 'WITHSCORES')) as unknown[];
      const pairs = zsetPairs(reply);
      const members = pairs.slice(0, elementsPerKey).map(([member, score]) => ({ member: decode(member), score: parseScore(score) }));
      return { elements: members, more: pairs.length > elementsPerKey, shape: first };
    }
    case 'stream': {
      const reply = (await redis.call('XRANGE', fullKey, '-', '+', 'COUNT', elementsPerKey + 1)) as [string, string[]][];
      const entries = reply.slice(0, elementsPerKey).map(([id, flat]) => ({ id, fields: entryFields(flat, raw) }));
      return { elements: entries, more: reply.length > elementsPerKey, shape: first };
    }
    default:
      return undefined;
  }
}

/**
 * One key as exported, or undefined when it is gone. Text another client stored that is not exact
 * JSON makes the whole value answered as stored text, marked raw (as a resource read does).
 */
async function exportKey(ctx: ToolContext, fullKey: string, budget: number): Promise<ExportedKey | undefined> {
  const [type, ttl] = await Promise.all([ctx.redis.type(fullKey), ctx.redis.pttl(fullKey)]);
  if (type === 'none' || ttl === -2) return undefined;
  const key = ctx.keys.strip(fullKey);
  const head = { key, type, ttl_ms: ttl === -1 ? null : ttl };
  // A module's type (JSON, vector sets, ...): named, not read.
  if (!(type in continueWith)) return { ...head, value: null, complete: false };
  let raw = false;
  let read: ReadValue | undefined;
  try {
    read = await readValue(ctx, fullKey, type, decodeValue, false, budget);
  } catch (error) {
    if (!(error instanceof UndecodableValueError)) throw error;
    raw = true;
    read = await readValue(ctx, fullKey, type, (text) => text, true, budget);
  }
  if (read === undefined) return undefined;
  // Cut to what one answer can hold, the first element always (as the read tools do).
  const frame = jsonBytes({ ...head, value: null, raw, complete: false, continue_with: continueWith[type] });
  const { items, cut } = withinBudget(read.elements, Math.max(1, budget - frame));
  const complete = !read.more && !cut;
  return {
    ...head,
    value: read.shape(items),
    ...(raw ? { raw: true as const } : {}),
    complete,
    ...(complete ? {} : { continue_with: continueWith[type] }),
  };
}

/**
 * One step of redis_export_matching: keys from the cursor, page by page, until `count` keys, the
 * response budget, or the step's bound. An answer cut inside a page says where in it to go on.
 */
export async function exportMatchingStep(ctx: ToolContext, input: { pattern: string; cursor: string; count: number }) {
  const match = ctx.keys.pattern(input.pattern);
  const budget = elementBudget(ctx.maxResponseBytes);
  const steps = new StepBudget(pagesPerStep, stepMs);
  const exported: ExportedKey[] = [];
  let used = 0;
  const run = await currentRun(ctx.redis);
  let position: WalkPosition | undefined = parseWalkCursor(input.cursor, isCluster(ctx.redis), run);
  while (position !== undefined) {
    const page = await readPage(ctx, position, match, pageHint);
    const wanted = page.keys.slice(page.at.skip, page.at.skip + input.count - exported.length);
    // The page's keys are read concurrently: one round trip per page rather than per key.
    const read = await Promise.all(wanted.map((fullKey) => exportKey(ctx, fullKey, budget)));
    for (let i = 0; i < read.length; i++) {
      const entry = read[i];
      if (entry === undefined) continue;
      const size = jsonBytes(entry) + 1;
      if (exported.length > 0 && used + size > budget) {
        // Not room for this one: the next call starts with it, and has the whole budget for it.
        return { keys: exported, ...walkState({ ...page.at, skip: page.at.skip + i }, run) };
      }
      exported.push(entry);
      used += size;
    }
    const taken = page.at.skip + wanted.length;
    if (taken < page.keys.length) return { keys: exported, complete: false, next_cursor: formatWalkCursor({ ...page.at, skip: taken }, run) };
    position = page.next;
    if (exported.length >= input.count || !steps.another()) break;
  }
  return { keys: exported, ...walkState(position, run) };
}
