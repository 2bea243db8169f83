import { describe, expect, it } from 'vitest';
import { ok } from '../helpers/results.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { mcpSession, useServer } from '../helpers/use-server.js';

const agents = 4;
const fieldsPerAgent = 50;

describe('concurrent session updates', () => {
  // Separate server processes, as separate agents would have.
  const server = useServer({ surface: 'stdio', clients: agents });
  const sessions = () => server.clients.map(mcpSession);

  it('never loses an update when agents write different fields at the same time', async () => {
    const id = `sess_${uniqueKey('race').replaceAll(':', '_')}`;
    ok(await sessions()[0]!.call('redis_session_create', { session_id: id, data: { shared: 'start' } }));

    // Every agent fires all its updates at once; a read-modify-write store would drop most of them.
    await Promise.all(
      sessions().flatMap((session, agent) =>
        Array.from({ length: fieldsPerAgent }, (_, n) =>
          session.call('redis_session_update', { session_id: id, data: { [`agent${agent}_field${n}`]: { agent, n } } }).then(ok),
        ),
      ),
    );

    const { data } = ok<{ data: Record<string, unknown> }>(await sessions()[1]!.call('redis_session_get', { session_id: id }));
    expect(Object.keys(data)).toHaveLength(agents * fieldsPerAgent + 1);
    for (let agent = 0; agent < agents; agent++) {
      for (let n = 0; n < fieldsPerAgent; n++) expect(data[`agent${agent}_field${n}`]).toEqual({ agent, n });
    }
    expect(data.shared).toBe('start');
  });

  it('keeps every push when many clients push to one queue', async () => {
    const key = uniqueKey('queue');
    await Promise.all(
      sessions().flatMap((session, agent) => Array.from({ length: 25 }, (_, n) => session.call('redis_rpush', { key, values: [`${agent}-${n}`] }).then(ok))),
    );
    const items = await server.check.lrange(key, 0, -1);
    expect(items).toHaveLength(agents * 25);
    expect(new Set(items).size).toBe(agents * 25);
  });
});
