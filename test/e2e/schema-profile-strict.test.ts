import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { toolJsonSchemaTexts, type ToolName } from '../../generated/registry.js';
import { strictViolations } from '../../scripts/gen/strict.js';
import { ok } from '../helpers/results.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';

/**
 * --schema-profile strict: tools/list gives the strict input schemas, and a call in that shape
 * (every optional field present as null) does exactly what the call without them does.
 */

// A Redis of its own: redis_keys walks the whole database, and the shared one changes under other suites.
const server = useServer({ surface: 'stdio', ownRedis: true, args: ['--schema-profile', 'strict', '--toolsets', 'all'] });
const mcp = () => server.mcp;

type Json = Record<string, unknown>;

/** What Redis holds under every key that contains `name`, with `name` written as NAME. */
async function stored(check: Redis, name: string): Promise<Json> {
  const keys = (await check.keys(`*${name}*`)).sort();
  const out: Json = {};
  for (const key of keys) {
    const type = await check.type(key);
    const content =
      type === 'string'
        ? await check.get(key)
        : type === 'list'
          ? await check.lrange(key, 0, -1)
          : type === 'hash'
            ? await check.hgetall(key)
            : type === 'zset'
              ? await check.zrange(key, '0', '-1', 'WITHSCORES')
              : type === 'set'
                ? (await check.smembers(key)).sort()
                : type;
    out[key.replaceAll(name, 'NAME')] = { type, content: JSON.parse(JSON.stringify(content).replaceAll(name, 'NAME')) as unknown };
  }
  return out;
}

/** The optional fields of a tool: null in the strict shape. */
function nulls(name: ToolName): Json {
  const input = JSON.parse(toolJsonSchemaTexts[name].input) as { properties: Json; required?: string[] };
  return Object.fromEntries(
    Object.keys(input.properties)
      .filter((field) => !(input.required ?? []).includes(field))
      .map((field) => [field, null]),
  );
}

const text = (value: unknown, name: string) => JSON.parse(JSON.stringify(value).replaceAll(name, 'NAME')) as unknown;

describe('--schema-profile strict', () => {
  it('lists input schemas strict mode accepts', async () => {
    const { tools } = await mcp().client.listTools();
    expect(tools.length).toBeGreaterThan(150);
    for (const tool of tools) {
      expect(strictViolations(tool.inputSchema), tool.name).toEqual([]);
      expect(tool.inputSchema).toEqual(JSON.parse(toolJsonSchemaTexts[tool.name as ToolName].strictInput));
    }
    const set = tools.find((t) => t.name === 'redis_set')!.inputSchema as { required: string[]; properties: Record<string, { type: unknown }> };
    expect(set.required).toEqual(['key', 'value', 'ttl', 'condition', 'get', 'keep_ttl']);
    expect(set.properties.ttl!.type).toEqual(['integer', 'null']);
  });

  const samples: [ToolName, (name: string) => Json, ((name: string) => Promise<unknown>)?][] = [
    ['redis_set', (key) => ({ key, value: { a: [1, null, 'x'] } })],
    ['redis_lpush', (key) => ({ key, values: [1, null, { b: true }] })],
    ['redis_doc_set', (key) => ({ key, value: { status: 'open', n: 1 } })],
    ['redis_queue_enqueue', (queue) => ({ queue, payload: { task: 'resize', size: 3 } })],
    ['redis_zrange', (key) => ({ key }), (key) => server.check.zadd(key, '1', '"a"', '2', '"b"', '3', 'c')],
    ['redis_keys', (key) => ({ pattern: `${key}:*` }), (key) => server.check.mset(`${key}:1`, '1', `${key}:2`, '2')],
  ];

  it.each(samples)('%s: every optional field sent as null does what leaving it out does', async (tool, args, prepare) => {
    const plain = uniqueKey(`plain-${tool}`);
    const nulled = uniqueKey(`nulled-${tool}`);
    await prepare?.(plain);
    await prepare?.(nulled);
    const withNulls = { ...nulls(tool), ...args(nulled) };
    // redis_lpush has no optional field: its strict shape is its portable one (a null element stays a value).
    if (tool !== 'redis_lpush') expect(Object.values(withNulls)).toContain(null);
    // SCAN gives keys in no fixed order.
    const sorted = (answer: Json) => (Array.isArray(answer.keys) ? { ...answer, keys: [...(answer.keys as string[])].sort() } : answer);
    const answerPlain = sorted(ok(await mcp().call(tool, args(plain))) as Json);
    const answerNulled = sorted(ok(await mcp().call(tool, withNulls)) as Json);
    // Job ids are random and times are the clock's: they differ between any two calls.
    const norm = (value: unknown, name: string) =>
      JSON.stringify(text(value, name))
        .replace(/(?<=")[\w-]{16}(?=")/g, 'ID')
        .replace(/\b\d{13}\b/g, 'MS');
    expect(norm(answerNulled, nulled)).toBe(norm(answerPlain, plain));
    expect(norm(await stored(server.check, nulled), nulled)).toBe(norm(await stored(server.check, plain), plain));
  });
});
