import { z } from 'zod';
import { defineToolset, overwrites, reads, writes } from './define.js';
import { jsonValue, key } from './fields.js';

/** The key echoed in every answer. */
const indexOut = { key: z.string().describe('The index key.') };

const tool = defineToolset('geo', { rest: '/v1/geo', errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'] });

const geoKey = key.describe('The geospatial index key (a sorted set).');
const member = jsonValue.describe('A member: any JSON (strings verbatim), as written by redis_geoadd.');
const longitude = z.number().min(-180).max(180).describe('Longitude in degrees (-180 to 180).');
const latitude = z.number().min(-85.05112878).max(85.05112878).describe('Latitude in degrees (-85.05112878 to 85.05112878).');
const unit = z.enum(['m', 'km', 'mi', 'ft']).default('m').describe('Distance unit.');
const distance = z.number().positive().max(1e8);

/** The area of GEOSEARCH and GEOSEARCHSTORE: a centre (member or point) and a circle or a box. */
const area = {
  member: member.optional().describe('Centre on this member (or give longitude and latitude).'),
  longitude: longitude.optional().describe('Centre longitude (with latitude).'),
  latitude: latitude.optional().describe('Centre latitude (with longitude).'),
  radius: distance.optional().describe('Search a circle of this radius (or give width and height).'),
  width: distance.optional().describe('Search a box this wide (with height).'),
  height: distance.optional().describe('Search a box this high (with width).'),
  unit,
};

export const redis_geoadd = tool({
  name: 'redis_geoadd',
  title: 'Add locations',
  description: 'Add or move members at longitude/latitude in a geospatial index, creating it if needed.',
  input: () =>
    z.strictObject({
      key: geoKey,
      members: z
        .array(z.strictObject({ longitude, latitude, member: jsonValue.describe('The member: any JSON (strings verbatim).') }))
        .min(1)
        .max(1000)
        .describe('Locations to add (1 to 1000).'),
      nx: z.boolean().default(false).describe('Only add new members, never move existing ones.'),
      xx: z.boolean().default(false).describe('Only move existing members, never add.'),
      ch: z.boolean().default(false).describe('Count moved members as well as added ones.'),
    }),
  output: () =>
    z.strictObject({
      ...indexOut,
      count: z.number().int().describe('Members added (with ch: added or moved).'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/{key}/add' },
  example: { key: 'stores', members: [{ longitude: 13.361389, latitude: 38.115556, member: 'Palermo' }] },
});

export const redis_geopos = tool({
  name: 'redis_geopos',
  title: 'Get locations',
  description: 'Longitude and latitude of each given member; found=false for a missing one.',
  input: () => z.strictObject({ key: geoKey, members: z.array(member).min(1).max(1000).describe('Members (1 to 1000).') }),
  output: () =>
    z.strictObject({
      ...indexOut,
      positions: z
        .array(z.strictObject({ member: jsonValue, found: z.boolean(), longitude: z.number().nullable(), latitude: z.number().nullable() }))
        .describe('One per given member, in order.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/{key}/positions' },
  example: { key: 'stores', members: ['Palermo', 'Catania'] },
});

export const redis_geodist = tool({
  name: 'redis_geodist',
  title: 'Distance between members',
  description: 'Distance between two members; found=false when either is missing.',
  input: () => z.strictObject({ key: geoKey, member1: member, member2: member, unit }),
  output: () =>
    z.strictObject({
      ...indexOut,
      found: z.boolean().describe('Whether both members exist.'),
      distance: z.number().nullable().describe('The distance in unit; null when not found.'),
      unit: z.string().describe('The unit.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/{key}/distance' },
  example: { key: 'stores', member1: 'Palermo', member2: 'Catania', unit: 'km' },
});

export const redis_geosearch = tool({
  name: 'redis_geosearch',
  title: 'Search an area',
  description:
    'Members within a circle or box around a member or point, nearest first (or farthest), up to count. ' +
    'Redis examines every member in the area (O(N)); count bounds the answer.',
  input: () =>
    z.strictObject({
      key: geoKey,
      ...area,
      order: z.enum(['asc', 'desc']).default('asc').describe('asc: nearest first; desc: farthest first.'),
      count: z.number().int().min(1).max(1000).default(100).describe('Most members to return (1 to 1000).'),
      withcoord: z.boolean().default(false).describe("Include each member's longitude and latitude."),
      withdist: z.boolean().default(false).describe("Include each member's distance from the centre."),
    }),
  output: () =>
    z.strictObject({
      ...indexOut,
      results: z
        .array(
          z.strictObject({
            member: jsonValue,
            distance: z.number().nullable().describe('In unit; null without withdist.'),
            longitude: z.number().nullable().describe('Null without withcoord.'),
            latitude: z.number().nullable().describe('Null without withcoord.'),
          }),
        )
        .describe('Matching members in the order asked.'),
      complete: z.boolean().describe('False when more members match (raise count or narrow the area).'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/{key}/search' },
  example: { key: 'stores', longitude: 15, latitude: 37, radius: 200, unit: 'km', withdist: true, count: 10 },
  requires: { command: 'geosearch' },
});

export const redis_geosearchstore = tool({
  name: 'redis_geosearchstore',
  title: 'Store an area search',
  description: 'Store the members within a circle or box (nearest first, up to count if given) in destination, replacing it.',
  input: () =>
    z.strictObject({
      destination: key.describe('The key that receives the result, replaced.'),
      source: geoKey,
      ...area,
      order: z.enum(['asc', 'desc']).default('asc').describe('asc: keep the nearest; desc: the farthest (with count).'),
      count: z.number().int().min(1).max(1_000_000).optional().describe('Keep at most this many; omit for all.'),
      storedist: z.boolean().default(false).describe('Store distances as scores instead of positions.'),
    }),
  output: () =>
    z.strictObject({
      destination: z.string().describe('The destination key.'),
      stored: z.number().int().describe('Members stored.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/searchstore' },
  example: { destination: 'stores:near-catania', source: 'stores', member: 'Catania', radius: 100, unit: 'km' },
  requires: { command: 'geosearchstore' },
});
