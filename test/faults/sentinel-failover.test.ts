import { afterAll, describe, expect, it } from 'vitest';
import { inspector } from '../helpers/redis-client.js';
import { startSentinelGroup, type SentinelGroup } from '../helpers/redis-sentinel.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { httpServerUnderTest } from '../helpers/surfaces/network.js';
import { connectRest } from '../helpers/surfaces/rest-client.js';
import { connectStreamableHttp } from '../helpers/surfaces/streamable-http-client.js';
import type { ToolClient } from '../helpers/surfaces.js';
import { waitUntil } from '../helpers/wait-until.js';
import { sleep, timeUntilOk, Workload } from '../helpers/workload.js';

/**
 * The master of a real sentinel group is SIGKILLed while clients write through the server
 * (REST and Streamable HTTP). Calls fail fast (REDIS_NOT_CONNECTED, never a hang), the server
 * follows the master the sentinels promote without a restart, and the acknowledged writes are
 * counted on the new master.
 *
 * On loopback replication keeps up within a millisecond, so a kill rarely loses anything. To
 * show the window that asynchronous replication leaves, the replicas replicate through a proxy
 * that is stalled for half a second before the kill: writes the master acknowledges meanwhile
 * reach no replica. Without --wait-replicas some of them are lost (counted, printed, and
 * required: otherwise the run could not tell); with --wait-replicas 1 those calls answer
 * REPLICATION_TIMEOUT instead, and no acknowledged write is lost.
 * SENTINEL_FAILOVER_LAG=none runs the kill without the stall (the loopback figure).
 */

/** A hang detector, not a latency target: a call that fails fast takes a fraction of this. */
const answerBoundMs = 10_000;
const allowedFailures = new Set(['REDIS_NOT_CONNECTED', 'REPLICATION_TIMEOUT']);

interface Run {
  lost: number;
  acknowledged: number;
  figures: ReturnType<Workload['figures']>;
  failoverMs: number;
  backAfterKillMs: number;
}

const groups: SentinelGroup[] = [];
const servers: { stop(): Promise<void> }[] = [];

afterAll(async () => {
  for (const server of servers) await server.stop().catch(() => undefined);
  for (const group of groups) await group.stop();
});

const lagged = process.env.SENTINEL_FAILOVER_LAG !== 'none';

async function failoverUnderLoad(label: string, extraArgs: string[]): Promise<Run> {
  const group = await startSentinelGroup({ replicationProxy: lagged });
  groups.push(group);
  const cli: HttpCliProcess = await startHttpCli([
    '--sentinels',
    group.sentinelList,
    '--sentinel-master',
    group.masterName,
    '--log-level',
    'warn',
    ...extraArgs,
  ]);
  const server = httpServerUnderTest('rest', cli, connectRest);
  servers.push(server);
  const clients: ToolClient[] = [await server.connect(), await server.connectWith(connectStreamableHttp)];
  const probe = await server.connect();

  const workload = new Workload(`failover:${label}`, { timeoutMs: answerBoundMs * 2 });
  workload.start(clients, 4);
  await sleep(1000);

  const old = await group.master();
  const oldNode = await group.masterNode();
  if (lagged) {
    workload.phase = 'replication stalled';
    group.replicationLink!.stall();
    await sleep(500);
  }
  workload.phase = 'failover';
  const killedAt = performance.now();
  await oldNode.kill();
  // No master until the sentinels promote one (at least down-after-milliseconds): the server cannot serve.
  const whileNoMaster = await fetch(`${cli.baseUrl}/health`);
  expect(whileNoMaster.status).toBe(503);
  const promoted = await group.waitForNewMaster(old);
  const failoverMs = performance.now() - killedAt;
  // The server finds the new master by itself: no restart, no new client.
  const backAfterKillMs = failoverMs + (await timeUntilOk(probe, 20_000));
  workload.phase = 'after';
  await sleep(1000);
  await workload.stop();

  type Health = { status: string; sentinel: { master: string; sentinels_reachable: number; failovers_seen: number } };
  let health: Health | undefined;
  // The master the sentinels name now: on a loaded machine a promotion can time out and the
  // sentinels promote the other replica after all; the server must follow them to that one.
  let current = promoted;
  const followsSentinels = async () => {
    health = (await (await fetch(`${cli.baseUrl}/health`)).json()) as Health;
    current = (await group.master().catch(() => undefined)) ?? current;
    return health.status === 'healthy' && health.sentinel.master === `${current.host}:${current.port}`;
  };
  await waitUntil(followsSentinels, '/health names the master the sentinels name', 10_000).catch(() => undefined);
  if (!health) throw new Error('no /health answer');
  expect(health.status, JSON.stringify(health)).toBe('healthy');
  expect(health.sentinel.master).toBe(`${current.host}:${current.port}`);
  expect(health.sentinel.sentinels_reachable).toBe(3);
  expect(health.sentinel.failovers_seen).toBeGreaterThanOrEqual(1);

  const check = inspector(`redis://${current.host}:${current.port}`);
  const verified = await workload.verify(check);
  check.disconnect();
  const figures = workload.figures();
  const run = {
    lost: verified.lost.length,
    acknowledged: verified.acknowledgedChecked,
    figures,
    failoverMs: Math.round(failoverMs),
    backAfterKillMs: Math.round(backAfterKillMs),
  };
  console.log(`sentinel failover, ${label}: ${JSON.stringify(run)}`);

  // Fail fast, never hang; only the failures a failover explains; nothing written twice or from nowhere.
  expect(figures.maxMs, figures.slowest.join('; ')).toBeLessThan(answerBoundMs);
  for (const code of Object.keys(figures.failuresByCode)) expect(allowedFailures, `unexpected failure ${code}`).toContain(code);
  expect(verified.duplicated).toEqual([]);
  expect(verified.strangers).toEqual([]);
  // The server kept serving after the failover: writes were acknowledged on the new master.
  expect(workload.records.filter((record) => record.phase === 'after' && record.outcome.ok).length).toBeGreaterThan(0);
  expect(server.crashed()).toEqual([]);
  return run;
}

describe('sentinel failover under a write load', () => {
  it('without --wait-replicas: follows the new master; acknowledged writes lost are counted', async () => {
    const run = await failoverUnderLoad('without --wait-replicas', []);
    expect(run.acknowledged).toBeGreaterThan(0);
    // Asynchronous replication: what the master acknowledged while replication lagged is gone.
    if (lagged) expect(run.lost).toBeGreaterThan(0);
  }, 90_000);

  it('with --wait-replicas 1: no acknowledged write is lost', async () => {
    const run = await failoverUnderLoad('with --wait-replicas 1', ['--wait-replicas', '1', '--wait-timeout-ms', '1000']);
    expect(run.acknowledged).toBeGreaterThan(0);
    expect(run.lost).toBe(0);
  }, 90_000);
});

describe('a switch with the old master alive (SENTINEL FAILOVER)', () => {
  it('moves to the promoted master: writes succeed there again, failing only as REDIS_NOT_CONNECTED meanwhile', async () => {
    const group = await startSentinelGroup();
    groups.push(group);
    const cli = await startHttpCli(['--sentinels', group.sentinelList, '--sentinel-master', group.masterName, '--log-level', 'warn']);
    const server = httpServerUnderTest('rest', cli, connectRest);
    servers.push(server);
    const client = await server.connect();
    expect((await client.call('redis_set', { key: 'before-switch', value: 1 })).ok).toBe(true);

    const old = await group.master();
    await group.failover();
    const promoted = await group.waitForNewMaster(old);
    // The old master still answers, as a replica: a client left on it would get READONLY for every write.
    const failures = new Set<string>();
    let written = '';
    await waitUntil(
      async () => {
        written = `after-switch:${Date.now()}`;
        const outcome = await client.call('redis_set', { key: written, value: 2 });
        if (!outcome.ok) failures.add(outcome.code);
        return outcome.ok;
      },
      'a write succeeds after the switch',
      15_000,
    );
    const onPromoted = inspector(`redis://${promoted.host}:${promoted.port}`);
    expect(await onPromoted.get(written)).toBe('2');
    expect(await onPromoted.get('before-switch')).toBe('1');
    onPromoted.disconnect();
    for (const code of failures) expect(['REDIS_NOT_CONNECTED']).toContain(code);

    // With every sentinel gone the master still serves, and /health says so (200), naming none reachable.
    await group.stopSentinels();
    const health = await fetch(`${cli.baseUrl}/health`);
    const body = (await health.json()) as { status: string; sentinel: { sentinels_reachable: number; master: string } };
    expect(health.status, JSON.stringify(body)).toBe(200);
    expect(body.sentinel).toMatchObject({ sentinels_reachable: 0, master: `${promoted.host}:${promoted.port}` });
    expect((await client.call('redis_set', { key: 'without-sentinels', value: 3 })).ok).toBe(true);
  }, 90_000);
});
