/**
 * Every toolset, each exported under its own name from the file (or folder) of that name. The
 * generator reads this list, and requires every tool's toolset to be the name it is exported under.
 */
export * as seed from './seed.js';
export * as keys from './keys.js';
export * as strings from './strings.js';
export * as hashes from './hashes.js';
export * as lists from './lists.js';
export * as sets from './sets.js';
export * as zsets from './zsets.js';
export * as streams from './streams.js';
export * as pubsub from './pubsub.js';
export * as hyperloglog from './hyperloglog.js';
export * as geo from './geo.js';
export * as bitmaps from './bitmaps.js';
export * as server from './server.js';
export * as coordination from './coordination.js';
export * as messaging from './messaging/index.js';
export * as bulk from './bulk.js';
