import { inject } from 'vitest';
import { inspector } from '../helpers/redis-client.js';
import { describeEveryTool } from '../tour/every-tool-suite.js';

const redisUrl = inject('redisUrl');

/** Every tool of every toolset, through a real client of each surface (Streamable HTTP in both protocol eras), against the built CLI. */
describeEveryTool('every tool over $name', { args: () => ['--redis-url', redisUrl], inspector: () => inspector(redisUrl), bothEras: true });
