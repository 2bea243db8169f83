import { decodeValue } from '../redis/codec.js';
import { withinBudget } from '../tools/budget.js';
import type { ToolContext } from '../tools/context.js';
import { exactlyOne, invalidField } from '../tools/invalid-field.js';
import { replyCode } from '../redis/replies.js';
import { requireOneSlot } from '../redis/slots.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

interface Area {
  member?: unknown;
  longitude?: number | undefined;
  latitude?: number | undefined;
  radius?: number | undefined;
  width?: number | undefined;
  height?: number | undefined;
  unit: string;
}

/** FROMMEMBER/FROMLONLAT and BYRADIUS/BYBOX arguments, with each half given exactly once. */
function areaArgs(area: Area, encode: ToolContext['encode']): (string | number)[] {
  const args: (string | number)[] = [];
  const from = exactlyOne(area, ['member', 'longitude'], area.latitude === undefined);
  if (from === 'member') {
    if (area.latitude !== undefined) throw invalidField('latitude', 'cannot be given together with member');
    args.push('FROMMEMBER', encode(area.member, 'member'));
  } else {
    if (area.latitude === undefined) throw invalidField('latitude', 'is required with longitude');
    if (area.longitude === undefined) throw invalidField('longitude', 'is required with latitude');
    args.push('FROMLONLAT', area.longitude, area.latitude);
  }
  const by = exactlyOne(area, ['radius', 'width'], area.height === undefined);
  if (by === 'radius') {
    if (area.height !== undefined) throw invalidField('height', 'cannot be given together with radius');
    args.push('BYRADIUS', area.radius!, area.unit);
  } else {
    if (area.height === undefined) throw invalidField('height', 'is required with width');
    if (area.width === undefined) throw invalidField('width', 'is required with height');
    args.push('BYBOX', area.width, area.height, area.unit);
  }
  return args;
}

/**
 * A search centred on a member that is not in the index fails with a generic ERR; checking the
 * member (not the error text) tells that case, which is the caller's argument, from any other.
 */
async function searching<T>(ctx: ToolContext, fullKey: string, area: Area, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (replyCode(error) === 'ERR' && area.member !== undefined && (await ctx.redis.zscore(fullKey, ctx.encode(area.member, 'member'))) === null) {
      throw invalidField('member', 'is not in the index');
    }
    throw error;
  }
}

const coordinate = (text: string | null | undefined): number | null => (text == null ? null : Number(text));

export const geoHandlers: ToolsetHandlers<'geo', ToolContext> = {
  async redis_geoadd({ key, members, nx, xx, ch }, { redis, keys, encode }) {
    if (nx && xx) throw invalidField('xx', 'cannot be given together with nx');
    const args: (string | number)[] = [keys.key(key)];
    if (nx) args.push('NX');
    if (xx) args.push('XX');
    if (ch) args.push('CH');
    members.forEach(({ longitude, latitude, member }, i) => args.push(longitude, latitude, encode(member, `members[${i}].member`)));
    return { key, count: (await redis.call('GEOADD', ...args)) as number };
  },

  async redis_geopos({ key, members }, { redis, keys, encode }) {
    const reply = (await redis.call('GEOPOS', keys.key(key), ...members.map((member, i) => encode(member, `members[${i}]`)))) as ([string, string] | null)[];
    const positions = members.map((member, i) => {
      const position = reply[i];
      return position
        ? { member, found: true, longitude: Number(position[0]), latitude: Number(position[1]) }
        : { member, found: false, longitude: null, latitude: null };
    });
    return { key, positions };
  },

  async redis_geodist({ key, member1, member2, unit }, { redis, keys, encode }) {
    const distance = (await redis.call('GEODIST', keys.key(key), encode(member1, 'member1'), encode(member2, 'member2'), unit)) as string | null;
    return { key, found: distance !== null, distance: coordinate(distance), unit };
  },

  async redis_geosearch({ key, order, count, withcoord, withdist, ...area }, ctx) {
    const fullKey = ctx.keys.key(key);
    const args: (string | number)[] = [fullKey, ...areaArgs(area, ctx.encode), order.toUpperCase(), 'COUNT', count + 1];
    if (withcoord) args.push('WITHCOORD');
    if (withdist) args.push('WITHDIST');
    const reply = (await searching(ctx, fullKey, area, () => ctx.redis.call('GEOSEARCH', ...args))) as (string | unknown[])[];
    const results = reply.slice(0, count).map((item) => {
      // A bare member, or [member, distance?, [longitude, latitude]?] in that order.
      const [member, ...extra] = Array.isArray(item) ? item : [item];
      const dist = withdist ? (extra.shift() as string) : null;
      const coord = withcoord ? (extra.shift() as [string, string]) : null;
      return { member: decodeValue(member as string), distance: coordinate(dist), longitude: coordinate(coord?.[0]), latitude: coordinate(coord?.[1]) };
    });
    const { items, cut } = withinBudget(results, ctx.maxResponseBytes);
    return { key, results: items, complete: !cut && reply.length <= count };
  },

  async redis_geosearchstore({ destination, source, order, count, storedist, ...area }, ctx) {
    const fullSource = ctx.keys.key(source);
    requireOneSlot(ctx.redis, [ctx.keys.key(destination), fullSource], ['destination', 'source']);
    const args: (string | number)[] = [ctx.keys.key(destination), fullSource, ...areaArgs(area, ctx.encode), order.toUpperCase()];
    if (count !== undefined) args.push('COUNT', count);
    if (storedist) args.push('STOREDIST');
    const stored = (await searching(ctx, fullSource, area, () => ctx.redis.call('GEOSEARCHSTORE', ...args))) as number;
    return { destination, stored };
  },
};
