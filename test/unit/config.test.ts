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

  describe('an explicitly empty value for an option that restricts', () => {
    // What an unset shell variable expands to: `--auth-token "$TOKEN"`, `--tools "$TOOLS"`.
    const empties = ['', ' ', ',', ' , ,', '\t'];
    const restricting = [
      ['auth-token', 'no token is asked for'],
      ['tools', 'every tool is offered'],
      ['disable-tools', 'no tool is disabled'],
      ['allowed-origins', 'no origin is added to the defaults'],
      ['allowed-hosts', 'no Host name is added to the defaults'],
    ] as const;

    it.each(restricting)('--%s is refused, naming the flag and what it would mean', (flag, meaning) => {
      for (const empty of empties) {
        expect(() => resolveConfig({ [flag]: [empty] }, {}), JSON.stringify(empty)).toThrow(new RegExp(`^--${flag} is empty .*would mean ${meaning}`));
        expect(() => resolveConfig({ [flag]: [empty] }, {})).toThrow(ConfigError);
      }
      // Repeated, every occurrence empty: still nothing given.
      expect(() => resolveConfig({ [flag]: ['', ' ,'] }, {})).toThrow(ConfigError);
    });

    it('is refused in MCP_AUTH_TOKEN and MCP_TOOLS even when exactly empty', () => {
      for (const empty of empties) {
        expect(() => resolveConfig({}, { MCP_AUTH_TOKEN: empty }), JSON.stringify(empty)).toThrow(/^MCP_AUTH_TOKEN is empty .*no token is asked for/);
        expect(() => resolveConfig({}, { MCP_TOOLS: empty }), JSON.stringify(empty)).toThrow(/^MCP_TOOLS is empty .*every tool is offered/);
      }
    });

    it('is refused in the other list variables when it holds only commas and spaces; exactly empty counts as unset', () => {
      for (const env of ['MCP_DISABLE_TOOLS', 'MCP_ALLOWED_ORIGINS', 'MCP_ALLOWED_HOSTS']) {
        expect(() => resolveConfig({}, { [env]: ' , ' }), env).toThrow(new RegExp(`^${env} is empty`));
        expect(() => resolveConfig({}, { [env]: '' }), env).not.toThrow();
      }
      expect(resolveConfig({}, { MCP_ALLOWED_ORIGINS: '' }).allowedOrigins).toEqual([]);
    });

    it('a flag beats an empty variable, and values with stray commas keep their items', () => {
      expect(resolveConfig({ 'auth-token': ['a'] }, { MCP_AUTH_TOKEN: '' }).authTokens).toEqual(['a']);
      expect(resolveConfig({ tools: ['redis_get,', ' redis_set'] }, {}).tools).toEqual(['redis_get', 'redis_set']);
      expect(resolveConfig({}, { MCP_AUTH_TOKEN: ',x,' }).authTokens).toEqual(['x']);
      // Unset stays unset.
      expect(resolveConfig({}, {})).toMatchObject({ authTokens: [], tools: [], disableTools: [], allowedOrigins: [], allowedHosts: [] });
    });
  });

  it('reads the edge limits, in seconds where they are times', () => {
    expect(resolveConfig({}, {})).toMatchObject({
      requestTimeoutSec: 30,
      maxClients: 1000,
      maxSessions: 1000,
      wsIdleTimeoutSec: 300,
      wsPingIntervalSec: 30,
      maxQueuedBytes: 8 * 1024 * 1024,
      maxCallsInFlight: 64,
      shutdownTimeoutSec: 10,
    });
    const config = resolveConfig(
      { 'request-timeout': '5', 'max-sessions': '20', 'ws-idle-timeout': '60' },
      { MCP_MAX_CLIENTS: '50', MCP_SHUTDOWN_TIMEOUT: '3' },
    );
    expect(config).toMatchObject({ requestTimeoutSec: 5, maxSessions: 20, wsIdleTimeoutSec: 60, maxClients: 50, shutdownTimeoutSec: 3 });
    expect(() => resolveConfig({ 'request-timeout': '0' }, {})).toThrow(/--request-timeout must be between 1 and 3600/);
    expect(() => resolveConfig({ 'max-queued-bytes': '1000' }, {})).toThrow(/--max-queued-bytes must be between 65536/);
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
