import fc from 'fast-check';
import { toolNames, tools } from '../../generated/registry.js';

/**
 * The streams, pubsub, hyperloglog, geo, bitmaps and server toolsets in the --key-prefix
 * isolation property: calls to try, and which arguments of the commands they send are keys,
 * channels or patterns. Server-wide tools are called too: under a prefix they must answer
 * FORBIDDEN and send nothing (MONITOR would show their command as unknown).
 */
export const serverWideTools = toolNames.filter((name) => tools[name].scope === 'server');

export function streamsToServerCalls(
  name: fc.Arbitrary<string>,
  value: fc.Arbitrary<unknown>,
): fc.Arbitrary<{ tool: string; args: Record<string, unknown> }>[] {
  const id = fc.constantFrom('0', '0-1', '1-0', '$', '>', '-', '+', '(0-1', '18446744073709551615-18446744073709551615');
  const entryId = fc.constantFrom('0-1', '1-1', '1700000000000-0');
  const wait = fc.constantFrom(0, 10);
  const group = fc.constantFrom('g', 'other');
  const record = <T extends Record<string, fc.Arbitrary<unknown>>>(tool: string | string[], args: T) =>
    fc.record({ tool: Array.isArray(tool) ? fc.constantFrom(...tool) : fc.constant(tool), args: fc.record(args) });
  const area = { member: value, radius: fc.constantFrom(1, 1000, 20000) };
  const lonlat = {
    longitude: fc.double({ min: -180, max: 180, noNaN: true }),
    latitude: fc.double({ min: -85, max: 85, noNaN: true }),
    width: fc.constantFrom(10, 5000),
    height: fc.constantFrom(10, 5000),
  };
  return [
    record('redis_xadd', {
      key: name,
      fields: fc.dictionary(fc.constantFrom('a', 'b', 'c'), value, { minKeys: 1, maxKeys: 2 }),
      maxlen: fc.constantFrom(5, 100),
    }),
    record(['redis_xlen', 'redis_xinfo_stream', 'redis_xinfo_groups'], { key: name }),
    record(['redis_xrange', 'redis_xrevrange'], { key: name, count: fc.integer({ min: 1, max: 5 }) }),
    record('redis_xdel', { key: name, ids: fc.array(entryId, { minLength: 1, maxLength: 2 }) }),
    record('redis_xtrim', { key: name, maxlen: fc.integer({ min: 0, max: 3 }) }),
    record('redis_xread', {
      streams: fc
        .uniqueArray(name, { minLength: 1, maxLength: 3 })
        .chain((keys) => fc.tuple(...keys.map((key) => fc.record({ key: fc.constant(key), id: fc.constantFrom('0', '$') })))),
      block_ms: wait,
    }),
    record('redis_xreadgroup', {
      group,
      consumer: name,
      streams: fc.uniqueArray(name, { minLength: 1, maxLength: 2 }).map((keys) => keys.map((key) => ({ key }))),
      block_ms: wait,
      noack: fc.boolean(),
    }),
    record('redis_xgroup_create', { key: name, group, id: fc.constantFrom('0', '$'), mkstream: fc.boolean() }),
    record(['redis_xgroup_destroy', 'redis_xpending', 'redis_xinfo_consumers'], { key: name, group }),
    record('redis_xgroup_setid', { key: name, group, id: fc.constantFrom('0', '$') }),
    record(['redis_xgroup_createconsumer', 'redis_xgroup_delconsumer'], { key: name, group, consumer: name }),
    record('redis_xack', { key: name, group, ids: fc.array(entryId, { minLength: 1, maxLength: 2 }) }),
    record('redis_xclaim', { key: name, group, consumer: name, min_idle_ms: fc.constant(0), ids: fc.array(entryId, { minLength: 1, maxLength: 2 }) }),
    record('redis_xautoclaim', { key: name, group, consumer: name, min_idle_ms: fc.constant(0), start: id.filter((text) => /^\d/.test(text)) }),
    record('redis_publish', { channel: name, message: value }),
    record('redis_pubsub_channels', { pattern: name }),
    record('redis_pubsub_numsub', { channels: fc.array(name, { minLength: 1, maxLength: 3 }) }),
    record('redis_pfadd', { key: name, elements: fc.array(value, { minLength: 1, maxLength: 3 }) }),
    record('redis_pfcount', { keys: fc.array(name, { minLength: 1, maxLength: 3 }) }),
    record('redis_pfmerge', { destination: name, sources: fc.array(name, { minLength: 1, maxLength: 3 }) }),
    record('redis_geoadd', {
      key: name,
      members: fc.array(fc.record({ longitude: lonlat.longitude, latitude: lonlat.latitude, member: value }), { minLength: 1, maxLength: 2 }),
    }),
    record('redis_geopos', { key: name, members: fc.array(value, { minLength: 1, maxLength: 2 }) }),
    record('redis_geodist', { key: name, member1: value, member2: value }),
    record('redis_geosearch', { key: name, ...area }),
    record('redis_geosearch', { key: name, longitude: lonlat.longitude, latitude: lonlat.latitude, width: lonlat.width, height: lonlat.height }),
    record('redis_geosearchstore', { destination: name, source: name, ...area }),
    record(['redis_setbit'], { key: name, offset: fc.integer({ min: 0, max: 64 }), value: fc.constantFrom(0, 1) }),
    record(['redis_getbit'], { key: name, offset: fc.integer({ min: 0, max: 64 }) }),
    record(['redis_bitcount'], { key: name }),
    record(['redis_bitpos'], { key: name, bit: fc.constantFrom(0, 1) }),
    record('redis_bitfield', {
      key: name,
      operations: fc.constant([
        { op: 'incrby', encoding: 'u8', offset: '#1', value: 1 },
        { op: 'get', encoding: 'i4', offset: 3 },
      ]),
    }),
    record(['redis_time', 'redis_ping', 'redis_capabilities'], {}),
    fc.record({ tool: fc.constantFrom(...serverWideTools), args: fc.constant({}) }),
  ];
}

/** Keys (and channels, and patterns) of the commands these tools send; undefined for another command. */
export function streamsToServerKeys(args: string[]): { keys: string[]; pattern?: string } | 'ignore' | undefined {
  const [name, ...rest] = args;
  switch (name!.toLowerCase()) {
    case 'xadd':
    case 'xlen':
    case 'xrange':
    case 'xrevrange':
    case 'xdel':
    case 'xtrim':
    case 'xack':
    case 'xpending':
    case 'xclaim':
    case 'xautoclaim':
    case 'pfadd':
    case 'geoadd':
    case 'geopos':
    case 'geodist':
    case 'geosearch':
    case 'zscore':
    case 'setbit':
    case 'getbit':
    case 'bitcount':
    case 'bitpos':
    case 'bitfield':
    case 'publish':
      return { keys: [rest[0]!] };
    case 'xgroup':
    case 'xinfo':
      return { keys: [rest[1]!] };
    case 'xread':
    case 'xreadgroup': {
      const streams = rest.slice(rest.findIndex((arg) => arg.toUpperCase() === 'STREAMS') + 1);
      return { keys: streams.slice(0, streams.length / 2) };
    }
    case 'pfcount':
    case 'pfmerge':
      return { keys: rest };
    case 'geosearchstore':
      return { keys: rest.slice(0, 2) };
    case 'pubsub': {
      const sub = rest[0]!.toLowerCase();
      if (sub === 'channels') return { keys: [], pattern: rest[1]! };
      // NUMPAT counts every client's patterns: it must never be sent under a prefix.
      return sub === 'numsub' ? { keys: rest.slice(1) } : undefined;
    }
    case 'time':
    case 'command':
      return 'ignore';
    default:
      return undefined;
  }
}
