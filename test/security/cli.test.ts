import { spawn } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { assertSafeExposure, ConfigError, isLoopbackHost, resolveConfig } from '../../src/config.js';
import { cliPath } from '../helpers/stdio-client.js';
import { sessionLabel } from '../../src/http/mcp-sessions/session-label.js';
import { initializeParams, rawRequest } from './net.js';

const redisUrl = inject('redisUrl');

interface Run {
  code: number | null;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('refusing an unguarded network bind', () => {
  it('exits 2 with a clear message for a non-loopback --host without a token', async () => {
    for (const host of ['0.0.0.0', '::']) {
      const run = await runCli(['--transport', 'http', '--host', host, '--port', '0', '--redis-url', redisUrl, '--embedded-redis', 'never']);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(`--host ${host} is reachable from other machines`);
      expect(run.stderr).toContain('--auth-token');
      expect(run.stderr).toContain('--allow-unauthenticated');
      // A ConfigError: one line, no stack.
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('lets loopback, a token or --allow-unauthenticated through', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'example.com', '127.0.0.1.example.com']) expect(isLoopbackHost(host), host).toBe(false);
    expect(() => assertSafeExposure({ host: '0.0.0.0', authTokens: [], allowUnauthenticated: false })).toThrow(ConfigError);
    expect(() => assertSafeExposure({ host: '0.0.0.0', authTokens: ['t'], allowUnauthenticated: false })).not.toThrow();
    expect(() => assertSafeExposure({ host: '0.0.0.0', authTokens: [], allowUnauthenticated: true })).not.toThrow();
    expect(() => assertSafeExposure({ host: '127.0.0.1', authTokens: [], allowUnauthenticated: false })).not.toThrow();
  });

  it('reads the security options from flags and the environment', async () => {
    const config = resolveConfig(
      { 'auth-token': ['one', 'two, three'], 'allow-unauthenticated': true, 'rate-limit': '120' },
      { MCP_AUTH_TOKEN: 'ignored', MCP_ALLOWED_ORIGINS: 'https://a.example, https://b.example', MCP_ALLOWED_HOSTS: 'mcp.example' },
    );
    expect(config.authTokens).toEqual(['one', 'two', 'three']);
    expect(config.allowUnauthenticated).toBe(true);
    expect(config.rateLimit).toBe(120);
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.allowedHosts).toEqual(['mcp.example']);
    const fromEnv = resolveConfig({}, { MCP_AUTH_TOKEN: 'x,y', MCP_ALLOW_UNAUTHENTICATED: 'true' });
    expect(fromEnv.authTokens).toEqual(['x', 'y']);
    expect(fromEnv.allowUnauthenticated).toBe(true);
    const defaults = resolveConfig({}, {});
    expect(defaults).toMatchObject({ authTokens: [], allowUnauthenticated: false, allowedOrigins: [], allowedHosts: [], rateLimit: undefined });
    expect(() => resolveConfig({}, { MCP_ALLOW_UNAUTHENTICATED: 'maybe' })).toThrow(/true or false/);
    // The CLI takes --allow-unauthenticated as a bare flag and --auth-token repeated.
    const run = await runCli(['--allow-unauthenticated', '--auth-token', 'a', '--auth-token', 'b', '--version']);
    expect(run.code, run.stderr).toBe(0);
  });
});

describe('an empty value where a restriction was meant', () => {
  it('exits 2 naming the option, for an empty flag or MCP_AUTH_TOKEN / MCP_TOOLS set to nothing, before starting anything', async () => {
    const base = ['--transport', 'http', '--port', '0', '--redis-url', redisUrl, '--embedded-redis', 'never'];
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--auth-token', ''], {}, /--auth-token is empty .*no token is asked for/],
      [['--auth-token', ' , '], {}, /--auth-token is empty/],
      [['--tools', ''], {}, /--tools is empty .*every tool is offered/],
      [['--disable-tools', ''], {}, /--disable-tools is empty/],
      [['--allowed-origins', ''], {}, /--allowed-origins is empty/],
      [['--allowed-hosts', ','], {}, /--allowed-hosts is empty/],
      [[], { MCP_AUTH_TOKEN: '' }, /MCP_AUTH_TOKEN is empty .*no token is asked for/],
      [[], { MCP_TOOLS: '' }, /MCP_TOOLS is empty .*every tool is offered/],
    ];
    const runs = await Promise.all(cases.map(([args, env]) => runCli([...base, ...args], env)));
    for (const [i, run] of runs.entries()) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(cases[i]![2]);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stderr).not.toContain('listening');
    }
  });
});

describe('tokens in logs', () => {
  it('never writes a token to the log, at the most verbose level, whatever the requests do', async () => {
    const tokens = ['tok-3d1f9a0c7b5e', 'tok-8e2b6c4a1d9f', 'tok-5a7c3e1b9d0f'];
    const child = spawn(
      process.execPath,
      [
        cliPath,
        '--transport',
        'http',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--redis-url',
        redisUrl,
        '--embedded-redis',
        'never',
        '--log-level',
        'trace',
        '--auth-token',
        tokens[0]!,
        '--auth-token',
        `${tokens[1]},${tokens[2]}`,
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => /"url":"(http:[^"]+)"/.exec(stderr)?.[1], { timeout: 10_000 }).toBeDefined();
      const url = /"url":"(http:[^"]+)"/.exec(stderr)![1]!;
      const json = { 'content-type': 'application/json' };
      // Each accepted token works...
      for (const token of tokens) {
        expect((await rawRequest(url, { path: '/v1/keys/log%3Acheck/ttl', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      }
      // ...and requests that fail in every way carry one.
      expect((await rawRequest(url, { path: '/v1/keys/x', headers: { authorization: `Bearer ${tokens[0]}x` } })).status).toBe(401);
      expect(
        (await rawRequest(url, { method: 'PUT', path: '/v1/keys/x', headers: { ...json, authorization: `Bearer ${tokens[1]}` }, body: '{"value": ' })).status,
      ).toBe(400);
      expect((await rawRequest(url, { method: 'POST', path: '/mcp', headers: { ...json, authorization: `Bearer ${tokens[2]}` }, body: '[' })).status).toBe(400);
      expect((await rawRequest(url, { path: '/nowhere', headers: { authorization: `Bearer ${tokens[2]}`, host: 'evil.example' } })).status).toBe(403);
      // An /mcp session id is a credential too: it is logged as a label that cannot be sent back.
      const mcpHeaders = { ...json, accept: 'application/json, text/event-stream', authorization: `Bearer ${tokens[0]}` };
      const init = await rawRequest(url, {
        method: 'POST',
        path: '/mcp',
        headers: mcpHeaders,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initializeParams }),
      });
      const sessionId = init.headers['mcp-session-id'] as string;
      expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
      const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      expect((await rawRequest(url, { method: 'POST', path: '/mcp', headers: { ...mcpHeaders, 'mcp-session-id': sessionId }, body: list })).status).toBe(200);
      expect(
        (await rawRequest(url, { method: 'DELETE', path: '/mcp', headers: { authorization: `Bearer ${tokens[0]}`, 'mcp-session-id': sessionId } })).status,
      ).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('request completed');
      expect(stderr).toContain('"statusCode":401');
      for (const token of tokens) expect(stderr).not.toContain(token);
      expect(stderr).not.toContain(sessionId);
      expect(stderr).not.toContain(sessionId.replace(/-/g, ''));
      expect(stderr).toContain(`"mcpSession":"${sessionLabel(sessionId)}"`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
