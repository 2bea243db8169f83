import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inspector } from '../helpers/redis-client.js';
import { ok } from '../helpers/results.js';
import { connectStdio, uniqueKey, type StdioSession } from '../helpers/stdio-client.js';

const redisUrl = inject('redisUrl');
const agents = 4;
const fieldsPerAgent = 50;

describe('concurrent session updates', () => {
  const servers: StdioSession[] = [];
  let redis: Redis;

  beforeAll(async () => {
    // Separate server processes, as separate agents would have.
    for (let i = 0; i < agents; i++) servers.push(await connectStdio(['--redis-url', redisUrl]));
    redis = inspector(redisUrl);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    redis?.disconnect();
  });

  it('never loses an update when agents write different fields at the same time', async () => {
    const id = `sess_${uniqueKey('race').replaceAll(':', '_')}`;
    ok(await servers[0]!.call('redis_session_create', { session_id: id, data: { shared: 'start' } }));

    // Every agent fires all its updates at once; a read-modify-write store would drop most of them.
    await Promise.all(
      servers.flatMap((server, agent) =>
        Array.from({ length: fieldsPerAgent }, (_, n) =>
          server.call('redis_session_update', { session_id: id, data: { [`agent${agent}_field${n}`]: { agent, n } } }).then(ok),
        ),
      ),
    );

    const { data } = ok<{ data: Record<string, unknown> }>(await servers[1]!.call('redis_session_get', { session_id: id }));
    expect(Object.keys(data)).toHaveLength(agents * fieldsPerAgent + 1);
    for (let agent = 0; agent < agents; agent++) {
      for (let n = 0; n < fieldsPerAgent; n++) expect(data[`agent${agent}_field${n}`]).toEqual({ agent, n });
    }
    expect(data.shared).toBe('start');
  });

  it('keeps every push when many clients push to one queue', async () => {
    const key = uniqueKey('queue');
    await Promise.all(
      servers.flatMap((server, agent) =>
        Array.from({ length: 25 }, (_, n) => server.call('redis_rpush', { key, values: [`${agent}-${n}`] }).then(ok)),
      ),
    );
    const items = await redis.lrange(key, 0, -1);
    expect(items).toHaveLength(agents * 25);
    expect(new Set(items).size).toBe(agents * 25);
  });
});
