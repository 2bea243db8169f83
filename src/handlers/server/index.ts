import { toolNames, tools } from '../../../generated/registry.js';
import { toolsetNames } from '../../../schema/toolsets.js';
import { onEveryNode, oneMaster } from '../../redis/every-node.js';
import { withinBudget } from '../../tools/budget.js';
import type { ToolContext } from '../../tools/context.js';
import { selectedToolsets } from '../../tools/access.js';
import { groupInfo, parseClientLine, parseInfo, parseStats, redactCommand } from './replies.js';
import type { ToolsetHandlers } from '../../../generated/handlers.js';

const isoFromSeconds = (seconds: number | string) => new Date(Number(seconds) * 1000).toISOString();

/** On a cluster the diagnostics (INFO, SLOWLOG, MEMORY STATS, LATENCY, CLIENT LIST) describe one master (every-node.ts); DBSIZE counts all. */

export const serverHandlers: ToolsetHandlers<'server', ToolContext> = {
  async redis_info({ section }, ctx) {
    const { maxResponseBytes } = ctx;
    const redis = oneMaster(ctx.redis);
    const fields = parseInfo(await redis.info(section));
    const { items, cut } = withinBudget(fields, maxResponseBytes);
    return { sections: groupInfo(items), complete: !cut };
  },

  async redis_dbsize(_input, { redis }) {
    // On a cluster: the keys of every master (each key lives on one master).
    const perMaster = await onEveryNode(redis, 'master', (node) => node.dbsize());
    return { keys: perMaster.reduce((sum, count) => sum + count, 0) };
  },

  async redis_time(_input, { redis }) {
    const [seconds, micros] = await redis.time();
    const unixMs = Number(seconds) * 1000 + Number(micros) / 1000;
    return { unix_ms: unixMs, iso: new Date(Math.floor(unixMs)).toISOString() };
  },

  async redis_ping({ message }, { redis }) {
    const started = performance.now();
    const reply = message === undefined ? await redis.ping() : await redis.ping(message);
    return { reply, latency_ms: Math.round((performance.now() - started) * 1000) / 1000 };
  },

  async redis_slowlog_get({ count }, ctx) {
    const { maxResponseBytes } = ctx;
    const redis = oneMaster(ctx.redis);
    const reply = (await redis.call('SLOWLOG', 'GET', count)) as [number, number, number, string[], string?, string?][];
    const entries = reply.map(([id, time, duration, args, addr, name]) => ({
      id,
      time: isoFromSeconds(time),
      duration_us: duration,
      command: redactCommand(args.map(String)),
      client_addr: addr ?? '',
      client_name: name ?? '',
    }));
    const { items, cut } = withinBudget(entries, maxResponseBytes);
    return { entries: items, complete: !cut };
  },

  async redis_memory_stats(_input, ctx) {
    const redis = oneMaster(ctx.redis);
    return { stats: parseStats((await redis.call('MEMORY', 'STATS')) as unknown[]) as never };
  },

  async redis_latency_latest(_input, ctx) {
    const redis = oneMaster(ctx.redis);
    const reply = (await redis.call('LATENCY', 'LATEST')) as [string, number, number, number][];
    return { events: reply.map(([event, time, latest, max]) => ({ event, time: isoFromSeconds(time), latest_ms: latest, max_ms: max })) };
  },

  async redis_client_list({ type, count, after_id }, ctx) {
    const { maxResponseBytes } = ctx;
    // On a cluster: the clients of one master, CLIENT ID asked of the same node so `self` holds.
    const redis = oneMaster(ctx.redis);
    const [text, ownId] = await Promise.all([
      (type === undefined ? redis.call('CLIENT', 'LIST') : redis.call('CLIENT', 'LIST', 'TYPE', type)) as Promise<string>,
      redis.client('ID') as Promise<number>,
    ]);
    // Only these fields are shown: no argument, buffer or memory detail of other connections.
    const all = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(parseClientLine)
      .map((client) => ({
        id: Number(client.id),
        addr: client.addr ?? '',
        name: client.name ?? '',
        user: client.user ?? null,
        age_s: Number(client.age ?? 0),
        idle_s: Number(client.idle ?? 0),
        db: Number(client.db ?? 0),
        flags: client.flags ?? '',
        cmd: client.cmd ?? '',
        sub: Number(client.sub ?? 0),
        psub: Number(client.psub ?? 0),
        self: Number(client.id) === Number(ownId),
      }))
      .filter((client) => after_id === undefined || client.id > after_id)
      .sort((a, b) => a.id - b.id);
    const { items, cut } = withinBudget(all.slice(0, count), maxResponseBytes);
    const complete = !cut && all.length <= count;
    return { clients: items, next_after_id: complete ? null : items.at(-1)!.id, complete };
  },

  async redis_capabilities(_input, { offer }) {
    const chosen = selectedToolsets(offer.settings.toolsets);
    const known = offer.redis;
    const toolsets = toolsetNames.map((name) => {
      const members = toolNames.filter((tool) => tools[tool].toolset === name);
      return {
        name,
        chosen: chosen.has(name),
        offered: members.filter((tool) => offer.offered.has(tool)),
        withheld: members.flatMap((tool) => {
          const why = offer.withheld(tool);
          return why ? [{ tool, reason: why.reason, message: why.message }] : [];
        }),
      };
    });
    return { redis: { version: known?.version ?? null, mode: known?.mode ?? null }, toolsets };
  },
};
