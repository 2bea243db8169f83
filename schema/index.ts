/** Every tool family. The generator reads this list; add a family here to publish it. */
export * as keys from './keys.js';
export * as lists from './lists.js';
export * as hashes from './hashes.js';
export * as sessions from './sessions.js';
export * as keyspace from './keyspace.js';
export * as strings from './strings.js';
export * as streams from './streams.js';
export * as pubsub from './pubsub.js';
export * as hyperloglog from './hyperloglog.js';
export * as geo from './geo.js';
export * as bitmaps from './bitmaps.js';
export * as server from './server.js';
export * as coordination from './coordination.js';
export * as sets from './sets.js';
export * as zsets from './zsets.js';
export * as queue from './queue.js';
export * as feeds from './feeds.js';
