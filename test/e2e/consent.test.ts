import { randomUUID } from 'node:crypto';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteMatching, inspector } from '../helpers/redis-client.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { errorEnvelopeOf } from '../helpers/surfaces/mcp-tool-client.js';

/**
 * Consent for destructive bulk operations (redis_queue_purge): a client that supports elicitation
 * has its user asked by the server, in each era's way; a yes runs the purge, a no (or a client that
 * cannot be asked and sent no confirm: true) answers CONFIRMATION_REQUIRED and deletes nothing;
 * the state carried between 2026-07-28 rounds cannot be forged.
 */
const redisUrl = inject('redisUrl');
const prefix = `consent-${randomUUID().slice(0, 8)}`;
let server: HttpCliProcess;
let redis: Redis;

beforeAll(async () => {
  server = await startHttpCli(['--redis-url', redisUrl, '--key-prefix', prefix, '--toolsets', 'seed,messaging']);
  redis = inspector(redisUrl);
});

afterAll(async () => {
  await server?.stop();
  if (redis) await Promise.all([deleteMatching(redis, `${prefix}:*`), deleteMatching(redis, `__mcp:${prefix}:*`)]);
  redis?.disconnect();
});

type Answer = 'accept' | 'decline' | 'cannot be asked';
const reply = (answer: Answer) => (answer === 'accept' ? { action: 'accept' as const, content: { confirm: true } } : { action: 'decline' as const });

/** A queue holding three jobs, filled through REST. */
async function queueOfThree(): Promise<string> {
  const queue = `q-${randomUUID().slice(0, 8)}`;
  for (const payload of [1, 2, 3]) {
    const response = await fetch(`${server.baseUrl}/v1/queues/${queue}/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payload }),
    });
    expect(response.status).toBe(200);
  }
  return queue;
}

async function readyJobs(queue: string): Promise<number> {
  const response = await fetch(`${server.baseUrl}/v1/queues/${queue}/stats`);
  return ((await response.json()) as { ready: number }).ready;
}

async function legacyPurge(queue: string, answer: Answer): Promise<CallToolResult> {
  const client = new Client({ name: 'consent', version: '1' }, answer === 'cannot be asked' ? {} : { capabilities: { elicitation: {} } });
  const asked: string[] = [];
  if (answer !== 'cannot be asked')
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return reply(answer);
    });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/mcp`)));
  const result = (await client.callTool({ name: 'redis_queue_purge', arguments: { queue, which: 'all' } })) as CallToolResult;
  await client.close();
  expect(asked.length).toBe(answer === 'cannot be asked' ? 0 : 1);
  if (asked[0]) expect(asked[0]).toContain(queue);
  return result;
}

async function modernPurge(queue: string, answer: Answer): Promise<CallToolResult> {
  const capabilities = answer === 'cannot be asked' ? {} : { elicitation: { form: {} } };
  const client = new ModernClient({ name: 'consent', version: '1' }, { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } });
  let asked = 0;
  if (answer !== 'cannot be asked')
    client.setRequestHandler('elicitation/create', async () => {
      asked++;
      return reply(answer);
    });
  await client.connect(new ModernTransport(new URL(`${server.baseUrl}/mcp`)));
  const result = (await client.callTool({ name: 'redis_queue_purge', arguments: { queue, which: 'all' } })) as CallToolResult;
  await client.close();
  expect(asked).toBe(answer === 'cannot be asked' ? 0 : 1);
  return result;
}

const errorCode = (result: CallToolResult) => errorEnvelopeOf(result)?.code;

describe.each([
  ['2025-11-25', legacyPurge],
  ['2026-07-28', modernPurge],
] as const)('%s', (_era, purge) => {
  it('a yes purges', async () => {
    const queue = await queueOfThree();
    const result = await purge(queue, 'accept');
    expect(result.isError, JSON.stringify(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ purged: 3, complete: true });
    expect(await readyJobs(queue)).toBe(0);
  });

  it.each(['decline', 'cannot be asked'] as const)('%s: CONFIRMATION_REQUIRED, nothing deleted', async (answer) => {
    const queue = await queueOfThree();
    const result = await purge(queue, answer);
    expect(result.isError).toBe(true);
    expect(errorCode(result)).toBe('CONFIRMATION_REQUIRED');
    expect(await readyJobs(queue)).toBe(3);
  });
});

describe('REST', () => {
  it('without confirm: 428 CONFIRMATION_REQUIRED and nothing deleted; with it, purged', async () => {
    const queue = await queueOfThree();
    const url = `${server.baseUrl}/v1/queues/${queue}/purge`;
    const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ which: 'all' }) });
    expect(refused.status).toBe(428);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('CONFIRMATION_REQUIRED');
    expect(await readyJobs(queue)).toBe(3);
    const done = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ which: 'all', confirm: true }) });
    expect(done.status).toBe(200);
    expect(await readyJobs(queue)).toBe(0);
  });
});

describe('2026-07-28 state between rounds', () => {
  it('a forged or altered requestState is refused and nothing is deleted', async () => {
    const queue = await queueOfThree();
    const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } } };
    const post = (params: Record<string, unknown>) =>
      fetch(`${server.baseUrl}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'redis_queue_purge',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'redis_queue_purge', arguments: { queue, which: 'all' }, _meta: envelope, ...params },
        }),
      }).then(async (response) => (await response.json()) as { result?: { resultType?: string; requestState?: string }; error?: { code: number } });
    const first = await post({});
    expect(first.result?.resultType).toBe('input_required');
    const sealed = first.result!.requestState!;
    const yes = { consent: { action: 'accept', content: { confirm: true } } };
    const [version, payload, mac] = sealed.split('.');
    const altered = `${version}.${payload}.${mac!.slice(0, -2)}${mac!.endsWith('AA') ? 'BB' : 'AA'}`;
    const forged = `v1.${Buffer.from(JSON.stringify({ p: { consent: 'x' }, exp: 4102444800 })).toString('base64url')}.${mac}`;
    for (const requestState of [altered, forged]) {
      const answer = await post({ inputResponses: yes, requestState });
      expect(answer.error?.code, JSON.stringify(answer)).toBe(-32602);
    }
    expect(await readyJobs(queue)).toBe(3);
    // The state as sealed, with the user's yes, does purge.
    const done = await post({ inputResponses: yes, requestState: sealed });
    expect(done.error, JSON.stringify(done)).toBeUndefined();
    expect(await readyJobs(queue)).toBe(0);
  });
});
