import { describe, expect, it } from 'vitest';
import { ConfigError, helpText, redactUrl, resolveConfig } from '../../src/config.js';

describe('config', () => {
  it('uses the documented defaults', () => {
    const config = resolveConfig({}, {});
    expect(config).toMatchObject({ transport: 'stdio', redisUrl: undefined, db: 1, keyPrefix: '', maxConnections: 10, port: 8920, host: '127.0.0.1' });
  });

  it('lets flags beat the environment, which beats defaults', () => {
    const env = { REDIS_URL: 'redis://env:1', REDIS_DB: '3' };
    expect(resolveConfig({}, env)).toMatchObject({ redisUrl: 'redis://env:1', db: 3 });
    expect(resolveConfig({ 'redis-url': 'redis://flag:2', db: '2' }, env)).toMatchObject({ redisUrl: 'redis://flag:2', db: 2 });
  });

  it('names the flag or variable that is wrong', () => {
    expect(() => resolveConfig({ db: 'two' }, {})).toThrow(new ConfigError('--db must be a whole number; got "two".'));
    expect(() => resolveConfig({ transport: 'smoke' }, {})).toThrow(/--transport must be one of stdio, websocket, http/);
    expect(() => resolveConfig({}, { REDIS_DB: '99' })).toThrow(/REDIS_DB must be between 0 and 15/);
  });

  it('lists every flag in --help', () => {
    for (const flag of ['--transport', '--redis-url', '--db', '--key-prefix', '--max-connections', '--log-level']) {
      expect(helpText()).toContain(flag);
    }
  });

  it('hides passwords in URLs', () => {
    expect(redactUrl('redis://alice:s3cret@host:6379/2')).toBe('redis://alice:***@host:6379/2');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});
