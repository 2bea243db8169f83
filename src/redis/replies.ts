/** Reading Redis replies the same way over RESP2 and RESP3, and Redis error replies. */

/**
 * The pairs of a Redis map reply. Over RESP3 ioredis hands maps over flat ([k, v, k, v]); over
 * RESP2 (a Redis before 6) some replies are lists of pairs ([[k, v], ...]). Both are read here.
 */
export function mapPairs<V>(reply: unknown): [string, V][] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  if (Array.isArray(reply[0])) return reply.map((pair: [string, V]) => [pair[0], pair[1]]);
  const pairs: [string, V][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([String(reply[i]), reply[i + 1] as V]);
  return pairs;
}

/** A flat map reply ([name, value, ...]) as an object (own properties only). */
export function mapObject(reply: unknown): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [name, value] of mapPairs<unknown>(reply)) Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

/** A Redis error reply's code (its first word), or undefined for anything else. */
export function replyCode(error: unknown): string | undefined {
  return error instanceof Error && error.name === 'ReplyError' ? error.message.split(' ', 1)[0] : undefined;
}

/** A byte-ordered comparison, as Redis orders names in its radix trees. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
