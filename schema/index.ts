/** Every tool family. The generator reads this list; add a family here to publish it. */
export * as keys from './keys.js';
export * as lists from './lists.js';
export * as hashes from './hashes.js';
export * as sessions from './sessions.js';
export * as queue from './queue.js';
