/** The messaging toolset: a reliable work queue, and change feeds (subscriptions, watches). */
export * from './queue.js';
export * from './feeds.js';
