import { describe, expect, it } from 'vitest';
import { ConfigError, helpText, resolveConfig } from '../../src/config.js';
import { nodeAuthOptions } from '../../src/redis/cluster-client.js';

describe('cluster configuration', () => {
  it('reads seed nodes from --cluster-nodes or REDIS_CLUSTER_NODES, and uses database 0', () => {
    expect(resolveConfig({ 'cluster-nodes': '10.0.0.1:7000,10.0.0.2:7001' }, {})).toMatchObject({ clusterNodes: ['10.0.0.1:7000', '10.0.0.2:7001'], db: 0 });
    expect(resolveConfig({}, { REDIS_CLUSTER_NODES: 'a:1, [::1]:2' })).toMatchObject({ clusterNodes: ['a:1', '[::1]:2'], db: 0 });
    expect(resolveConfig({}, {})).toMatchObject({ clusterNodes: [], db: 1 });
    expect(helpText()).toContain('--cluster-nodes');
  });

  it('refuses another database than 0 in cluster mode, however it is given', () => {
    const refused = /--db 2 cannot be used with --cluster-nodes: a Redis Cluster has only database 0/;
    expect(() => resolveConfig({ 'cluster-nodes': 'a:1', db: '2' }, {})).toThrow(refused);
    expect(() => resolveConfig({}, { REDIS_CLUSTER_NODES: 'a:1', REDIS_DB: '2' })).toThrow(refused);
    expect(() => resolveConfig({ 'cluster-nodes': 'a:1' }, {}, { db: 2 })).toThrow(refused);
    expect(resolveConfig({ 'cluster-nodes': 'a:1', db: '0' }, {})).toMatchObject({ db: 0 });
  });

  it('refuses a seed that is not host:port', () => {
    expect(() => resolveConfig({ 'cluster-nodes': 'a:1,justahost' }, {})).toThrow(new ConfigError('--cluster-nodes: "justahost" is not host:port.'));
    expect(() => resolveConfig({ 'cluster-nodes': 'a:70000' }, {})).toThrow(ConfigError);
  });

  it('takes TLS and ACL credentials for every node from --redis-url', () => {
    expect(nodeAuthOptions({ url: 'rediss://agent:s%40cret@ignored:6379' })).toEqual({ username: 'agent', password: 's@cret', tls: {} });
    expect(nodeAuthOptions({ url: 'redis://:pw@ignored:6379' })).toEqual({ password: 'pw' });
    expect(nodeAuthOptions({})).toEqual({});
  });
});
