import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisMCPServer } from '../../src/index.js';
import { createMcpServer } from '../../src/mcp/server-factory.js';

let server: RedisMCPServer;

beforeAll(async () => {
  server = new RedisMCPServer({ redisUrl: inject('redisUrl'), db: 4, keyPrefix: 'lib:', logger: pino({ level: 'silent' }) });
  await server.setupTools();
});
afterAll(async () => {
  await server?.stop();
});

describe('the library API', () => {
  it('takes options in code over the environment and defaults', () => {
    expect(server.config).toMatchObject({ db: 4, keyPrefix: 'lib:', maxConnections: 10, transport: 'stdio' });
    expect(server.transportType).toBe('stdio');
  });

  it('serves the tools to an MCP client, applying the key prefix', async () => {
    await server.redis.connect().catch(() => undefined);
    const client = new Client({ name: 'unit', version: '1' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createMcpServer(server.runner).connect(serverSide);
    await client.connect(clientSide);
    const result = await client.callTool({ name: 'redis_set', arguments: { key: 'greeting', value: 'hi' } });
    expect(result.isError).toBeFalsy();
    expect(await server.redis.get('lib:greeting')).toBe('hi');
    const listed = await client.callTool({ name: 'redis_keys', arguments: { pattern: 'greet*' } });
    expect((listed.structuredContent as { keys: string[] }).keys).toEqual(['greeting']);
    await client.close();
  });

  it('stop() closes Redis and can be called twice', async () => {
    const other = new RedisMCPServer({ redisUrl: inject('redisUrl'), logger: pino({ level: 'silent' }) });
    await other.setupTools();
    await other.redis.connect();
    await other.stop();
    await other.stop();
    expect(other.redis.status).toBe('end');
  });
});
