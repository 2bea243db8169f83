import { describe, expect, it } from 'vitest';
import { checkKeyspaceEvents } from '../../src/feeds/keyspace-events.js';
import type { RedisClient } from '../../src/redis/client.js';
import { AppError } from '../../src/errors.js';

/** A Redis that answers CONFIG GET/SET notify-keyspace-events, or refuses them as an ACL would. */
function fakeRedis(flags: string, refuse: { get?: boolean; set?: boolean } = {}) {
  const state = { flags, sets: [] as string[] };
  const refused = (what: string) => Object.assign(new Error(`NOPERM this user has no permissions to run the '${what}' command`), { name: 'ReplyError' });
  const redis = {
    async call(command: string, sub: string, _name: string, value?: string) {
      if (command !== 'CONFIG') throw new Error(`unexpected ${command}`);
      if (sub === 'GET') {
        if (refuse.get) throw refused('config|get');
        return ['notify-keyspace-events', state.flags];
      }
      if (refuse.set) throw refused('config|set');
      state.sets.push(value!);
      state.flags = value!;
      return 'OK';
    },
  } as unknown as RedisClient;
  return { redis, state };
}

describe('checking that keyspace notifications are still on', () => {
  it('answers on when K and A are set, without writing', async () => {
    const { redis, state } = fakeRedis('AKE');
    expect(await checkKeyspaceEvents(redis, async () => false)).toBe('on');
    expect(state.sets).toEqual([]);
  });

  it('turns narrowed notifications back on, keeping the classes set, and says so', async () => {
    for (const narrowed of ['', 'Kg', 'Ex']) {
      const { redis, state } = fakeRedis(narrowed);
      expect(await checkKeyspaceEvents(redis, async () => false)).toBe('restored');
      for (const flag of ['K', 'A', ...narrowed]) expect(state.flags).toContain(flag);
    }
  });

  it('answers NOTIFICATIONS_OFF naming what was set when CONFIG SET is refused', async () => {
    const { redis } = fakeRedis('Kg', { set: true });
    const state = await checkKeyspaceEvents(redis, async () => true);
    expect(state).toBeInstanceOf(AppError);
    expect(state).toMatchObject({ code: 'NOTIFICATIONS_OFF', details: { current: 'Kg' } });
    expect((state as AppError).message).toContain('"Kg"');
  });

  it('asks the probe when CONFIG is refused altogether', async () => {
    const { redis } = fakeRedis('', { get: true, set: true });
    expect(await checkKeyspaceEvents(redis, async () => true)).toBe('on');
    expect(await checkKeyspaceEvents(redis, async () => false)).toMatchObject({ code: 'NOTIFICATIONS_OFF' });
  });

  it('throws when the connection fails: that is no verdict on the flags', async () => {
    const redis = { call: async () => Promise.reject(new Error('Connection is closed.')) } as unknown as RedisClient;
    await expect(checkKeyspaceEvents(redis, async () => true)).rejects.toThrow('Connection is closed.');
  });
});
