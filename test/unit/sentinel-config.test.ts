import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../src/config.js';
import { sentinelSettings } from '../../src/redis/sentinel.js';

describe('sentinel and --wait-replicas options', () => {
  it('are off by default: standalone mode, no waiting for replicas', () => {
    const config = resolveConfig({}, {});
    expect(sentinelSettings(config)).toBeUndefined();
    expect(config).toMatchObject({ sentinels: [], sentinelMaster: 'mymaster', waitReplicas: 0, waitTimeoutMs: 1000 });
  });

  it('read the sentinels and their credentials from flags or the environment', () => {
    const env = {
      REDIS_SENTINELS: '10.0.0.5:26379, [::1]:26380',
      REDIS_SENTINEL_MASTER: 'agents',
      REDIS_SENTINEL_PASSWORD: 's3cret',
      REDIS_WAIT_REPLICAS: '2',
    };
    const config = resolveConfig({ 'sentinel-tls': true, 'wait-timeout-ms': '250' }, env);
    expect(sentinelSettings(config)).toEqual({
      sentinels: [
        { host: '10.0.0.5', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'agents',
      username: undefined,
      password: 's3cret',
      tls: true,
    });
    expect(config).toMatchObject({ waitReplicas: 2, waitTimeoutMs: 250 });
  });

  it('refuse a sentinel address without a port, naming it', () => {
    const config = resolveConfig({ sentinels: 'sentinel-a:26379,sentinel-b' }, {});
    expect(() => sentinelSettings(config)).toThrow(new ConfigError('--sentinels: "sentinel-b" is not host:port (e.g. 10.0.0.5:26379).'));
  });

  it('refuse an empty --sentinels rather than fall back to standalone mode', () => {
    expect(() => resolveConfig({ sentinels: ' , ' }, {})).toThrow(/--sentinels is empty/);
  });

  it('refuse a negative --wait-replicas', () => {
    expect(() => resolveConfig({ 'wait-replicas': '-1' }, {})).toThrow(/--wait-replicas must be between 0 and 100/);
  });
});
