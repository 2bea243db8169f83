import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/redis-server.js';
import { stdioSurface, type ServerUnderTest } from '../helpers/surfaces.js';
import { uniqueKey } from '../helpers/stdio-client.js';

/**
 * rediss:// with a private CA (--redis-tls-ca-file) and an ACL user, against a real redis-server
 * that only speaks TLS (--port 0) and has the default user switched off. The password must
 * never reach the logs, at any log level, whether it came by flag or environment.
 */
const password = 'Zq7-tls-acl-secret-91x';
const wrongPassword = 'Wr0ng-guess-55';

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCertificates(dir: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=redis-mcp-server test CA');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'redis.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'redis.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
}

/** Builds without TLS (BUILD_TLS=no) do not link OpenSSL; Debian's and Redis's own release builds do. */
const tlsSupported = (() => {
  try {
    const binary = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
    return /libssl/.test(execFileSync('ldd', [binary], { encoding: 'utf8', stdio: 'pipe' }));
  } catch {
    return false;
  }
})();

describe.runIf(tlsSupported)('TLS and ACL to Redis', () => {
  let dir: string;
  let port: number;
  let child: ChildProcess;
  let check: Redis;
  let url: string;
  const servers: ServerUnderTest[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-mcp-tls-'));
    makeCertificates(dir);
    port = await freePort();
    child = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--dir',
        dir,
        '--tls-cert-file',
        join(dir, 'redis.crt'),
        '--tls-key-file',
        join(dir, 'redis.key'),
        '--tls-ca-cert-file',
        join(dir, 'ca.crt'),
        '--tls-auth-clients',
        'no',
        '--user',
        'default',
        'off',
        '--user',
        'alice',
        'on',
        `>${password}`,
        '~*',
        '&*',
        '+@all',
      ],
      { stdio: 'ignore' },
    );
    check = new Redis({
      host: '127.0.0.1',
      port,
      username: 'alice',
      password,
      db: 1,
      tls: { ca: readFileSync(join(dir, 'ca.crt')) },
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
    });
    check.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await check.connect();
        await check.ping();
        break;
      } catch (error) {
        if (Date.now() > deadline || child.exitCode !== null) throw error;
        check.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    url = `rediss://alice:${password}@127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    check?.disconnect();
    child?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(args: string[], env: Record<string, string> = {}): Promise<ServerUnderTest> {
    const server = await stdioSurface.start(['--log-level', 'trace', '--embedded-redis', 'never', ...args], env);
    servers.push(server);
    return server;
  }

  it('refuses a plain connection and the default user (the setup really requires TLS and the password)', async () => {
    const noPassword = new Redis({
      host: '127.0.0.1',
      port,
      tls: { ca: readFileSync(join(dir, 'ca.crt')) },
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    noPassword.on('error', () => undefined);
    await noPassword.connect().catch(() => undefined);
    await expect(noPassword.ping()).rejects.toThrow(/NOAUTH|WRONGPASS|Stream|closed/i);
    noPassword.disconnect();
  });

  it('works over rediss:// with the CA file and the ACL user, by flag', async () => {
    const server = await start(['--redis-url', url, '--redis-tls-ca-file', join(dir, 'ca.crt')]);
    const client = await server.connect();
    const key = uniqueKey('tls');
    const set = await client.call('redis_set', { key, value: { over: 'tls' } });
    expect(set.ok, JSON.stringify(set)).toBe(true);
    expect(await check.get(key)).toBe('{"over":"tls"}');
    expect(await client.call('redis_get', { key })).toMatchObject({ ok: true, value: { found: true, value: { over: 'tls' } } });
    await server.stop();
    expect(server.stderr()).toContain('Redis connected');
    expect(server.stderr()).not.toContain(password);
  });

  it('works with the URL from the environment (REDIS_URL, REDIS_TLS_CA_FILE)', async () => {
    const server = await start([], { REDIS_URL: url, REDIS_TLS_CA_FILE: join(dir, 'ca.crt') });
    const client = await server.connect();
    expect((await client.call('redis_exists', { keys: ['nothing-here'] })).ok).toBe(true);
    await server.stop();
    expect(server.stderr()).toContain('Redis connected');
    expect(server.stderr()).not.toContain(password);
  });

  it('answers REDIS_NOT_CONNECTED with a wrong password or an unknown CA, stays up, and logs no password', async () => {
    const wrong = await start(['--redis-url', `rediss://alice:${wrongPassword}@127.0.0.1:${port}`, '--redis-tls-ca-file', join(dir, 'ca.crt')]);
    const untrusted = await start(['--redis-url', url]);
    for (const server of [wrong, untrusted]) {
      const client = await server.connect();
      const started = Date.now();
      const outcome = await client.call('redis_get', { key: 'k' });
      expect(outcome).toMatchObject({ ok: false, code: 'REDIS_NOT_CONNECTED' });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(server.crashed()).toEqual([]);
      await server.stop();
    }
    expect(wrong.stderr()).toMatch(/WRONGPASS|auth/i);
    expect(untrusted.stderr()).toMatch(/certificate/i);
    for (const server of [wrong, untrusted]) {
      expect(server.stderr()).not.toContain(password);
      expect(server.stderr()).not.toContain(wrongPassword);
    }
  });
});
