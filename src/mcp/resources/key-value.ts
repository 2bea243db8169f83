import type { ToolName } from '../../../generated/registry.js';
import { AppError } from '../../errors.js';
import type { ToolContext } from '../../tools/context.js';
import type { ReadTool } from './run-reader.js';

/**
 * How a key of each type is read: by the tool that reads that type, with the largest page it
 * allows. Each of them holds its answer within --max-response-bytes and says where to go on.
 */
const readers: Record<string, { tool: ToolName; args: Record<string, unknown> }> = {
  string: { tool: 'redis_get', args: {} },
  hash: { tool: 'redis_hscan', args: { count: 1000 } },
  list: { tool: 'redis_lrange', args: { count: 1000 } },
  set: { tool: 'redis_smembers', args: { count: 1000 } },
  zset: { tool: 'redis_zrange', args: { count: 1000, withscores: true } },
  stream: { tool: 'redis_xrange', args: { count: 1000 } },
};

/**
 * A key's current value with its type; undefined when the key does not exist. A value larger
 * than one answer comes with `complete: false` and `continue_with`, the tool to read the rest.
 */
export async function readKey(key: string, ctx: ToolContext, readTool: ReadTool): Promise<Record<string, unknown> | undefined> {
  const type = await ctx.redis.type(ctx.keys.key(key));
  if (type === 'none') return undefined;
  const reader = readers[type];
  // A module type (JSON, vector sets, ...): named, not read.
  if (!reader) return { key, type, readable: false };
  let raw = false;
  let reply: Record<string, unknown>;
  try {
    reply = await readTool(reader.tool, { key, ...reader.args });
  } catch (error) {
    // Text another client stored that is not exact JSON (a 20-digit number, say): a resource has
    // no raw flag to ask with, so it answers the stored text, and says so.
    if (!(error instanceof AppError) || error.code !== 'VALUE_UNDECODABLE') throw error;
    raw = true;
    reply = await readTool(reader.tool, { key, ...reader.args, raw });
  }
  const { key: _key, found, ...answer } = reply;
  // The key may have gone between TYPE and the read.
  if (found === false) return undefined;
  const more = answer.complete === false ? { continue_with: reader.tool } : {};
  return { key, type, ...(raw ? { raw } : {}), ...answer, ...more };
}
