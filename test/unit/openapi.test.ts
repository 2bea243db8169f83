import { validate } from '@readme/openapi-parser';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { restRoutes } from '../../generated/rest-routes.js';
import { toolNames } from '../../generated/registry.js';
import { streamRoutes } from '../../schema/messaging/event-streams.js';

const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));

describe('openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it('has one operation per tool, matching the REST route table, and one per event stream', () => {
    const operations: string[] = [];
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { operationId: string }>>)) {
      for (const [method, operation] of Object.entries(methods)) operations.push(`${method.toUpperCase()} ${path} ${operation.operationId}`);
    }
    const routes = [...restRoutes.map((r) => `${r.method} ${r.path} ${r.tool}`), ...streamRoutes.map((r) => `${r.method} ${r.path} ${r.operationId}`)];
    expect(operations.sort()).toEqual(routes.sort());
    expect(restRoutes.map((r) => r.tool).sort()).toEqual([...toolNames].sort());
  });
});
