import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionSpecs, resolveConfig } from '../../src/config.js';

/**
 * server.json is the MCP Registry's description of this server (schema 2025-12-11). The registry
 * checks that its name is the npm package's mcpName and that the versions match what is
 * published; the environment variables it lists must be ones the server reads, with its defaults.
 */

const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const server = JSON.parse(readFileSync(resolve(root, 'server.json'), 'utf8'));

interface EnvironmentVariable {
  name: string;
  description: string;
  isRequired?: boolean;
  isSecret?: boolean;
  format?: 'string' | 'number' | 'boolean' | 'filepath';
  default?: string;
  choices?: string[];
}

describe('server.json', () => {
  it('names the package and its version as package.json does', () => {
    expect(server.$schema).toBe('https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json');
    expect(server.name).toBe(pkg.mcpName);
    expect(server.name).toMatch(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    expect(server.description.length).toBeGreaterThan(0);
    expect(server.description.length).toBeLessThanOrEqual(100);
    expect(server.version).toBe(pkg.version);
    const [npm] = server.packages;
    expect(npm).toMatchObject({ registryType: 'npm', identifier: pkg.name, version: pkg.version, transport: { type: 'stdio' } });
  });

  it('lists environment variables the server reads, with its own defaults and choices', () => {
    const variables: EnvironmentVariable[] = server.packages[0].environmentVariables;
    expect(variables.map((variable) => variable.name)).toEqual(expect.arrayContaining(['REDIS_URL', 'MCP_TOOLSETS', 'MCP_READ_ONLY']));
    const defaults = resolveConfig({}, {});
    for (const variable of variables) {
      const spec = optionSpecs.find((option) => option.env === variable.name);
      expect(spec, variable.name).toBeDefined();
      expect(typeof variable.isRequired, variable.name).toBe('boolean');
      expect(typeof variable.isSecret, variable.name).toBe('boolean');
      expect(variable.isRequired, `${variable.name}: the server starts without it`).toBe(false);
      if (variable.choices) expect(variable.choices, variable.name).toEqual(spec!.choices);
      if (variable.default !== undefined) {
        // The default, given as the variable, configures what no variable at all does.
        const configured = resolveConfig({}, { [variable.name]: variable.default });
        expect(configured[spec!.key], variable.name).toEqual(defaults[spec!.key]);
      }
    }
    // Credentials are secrets.
    expect(variables.find((variable) => variable.name === 'REDIS_URL')?.isSecret).toBe(true);
  });

  it('offers an example remote over Streamable HTTP with a secret bearer token', () => {
    const [remote] = server.remotes;
    expect(remote.type).toBe('streamable-http');
    expect(remote.url).toMatch(/^https:\/\/\{host\}\/mcp$/);
    expect(remote.variables.host.isRequired).toBe(true);
    expect(remote.headers[0]).toMatchObject({ name: 'Authorization', isSecret: true, value: 'Bearer {token}' });
  });
});
