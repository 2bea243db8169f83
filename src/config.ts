import { defaultToolsets, toolsetNames } from '../schema/toolsets.js';
import { namespacePrefix } from './redis/keyspace.js';

/**
 * One parsed Config, read once. Each option is declared once below with its flag, environment
 * variable, default and help text; flags beat the environment, which beats defaults.
 */

export type Transport = 'stdio' | 'websocket' | 'http';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type EmbeddedMode = 'auto' | 'always' | 'never';
export type SchemaProfile = 'portable' | 'strict';

export interface Config {
  transport: Transport;
  /** Undefined when neither flag nor environment names one: then the embedded default applies. */
  redisUrl: string | undefined;
  /**
   * Seed nodes (host:port) of a Redis Cluster; non-empty means cluster mode. --redis-url then
   * only supplies TLS (rediss://) and ACL credentials for every node.
   */
  clusterNodes: string[];
  db: number;
  keyPrefix: string;
  maxConnections: number;
  commandTimeoutMs: number;
  maxValueBytes: number;
  /** Longest JSON-RPC message accepted on stdio (one line), in bytes. */
  maxMessageBytes: number;
  /** Toolsets to offer (see schema/toolsets.ts); `all` for every one. */
  toolsets: string[];
  /** Largest answer a collection tool gives in one call; longer ones are cut with a continuation. */
  maxResponseBytes: number;
  /** Offer only the tools that do not change Redis. */
  readOnly: boolean;
  /** The conformance suite's fixture tools, resources and prompts, beside this server's own (tests only). */
  conformanceFixtures: boolean;
  /** Tools to offer (empty: all of them). */
  tools: string[];
  /** Tools not to offer, applied after `tools`. */
  disableTools: string[];
  /** The shape of input schemas in tools/list: portable (every provider) or strict (OpenAI strict mode). */
  schemaProfile: SchemaProfile;
  redisTlsCaFile: string | undefined;
  embeddedRedis: EmbeddedMode;
  dataDir: string | undefined;
  host: string;
  port: number;
  healthPort: number | undefined;
  /** Seconds without a request after which a Streamable HTTP session is closed and freed. */
  sessionIdleTimeoutSec: number;
  logLevel: LogLevel;
  /** Bearer tokens accepted on /mcp, /ws and /v1; empty: no token is asked for. */
  authTokens: string[];
  /** Lets a server bound to a non-loopback address start without a token. */
  allowUnauthenticated: boolean;
  /** Origins (scheme://host[:port], or *) allowed besides the loopback and bound addresses. */
  allowedOrigins: string[];
  /** Host header names (host or host:port, or *) allowed besides the loopback and bound addresses. */
  allowedHosts: string[];
  /** Requests per minute per client address on /mcp, /ws and /v1; undefined: no limit. */
  rateLimit: number | undefined;
  /** Seconds a client has to send a whole HTTP request, headers and body. */
  requestTimeoutSec: number;
  /** Seconds a WebSocket may go without sending a message (and with no call running) before it is closed. */
  wsIdleTimeoutSec: number;
  /** Seconds between WebSocket pings; a client that has not answered one by the next is disconnected. */
  wsPingIntervalSec: number;
  /** Most client connections (HTTP and WebSocket) open at once. */
  maxClients: number;
  /** Most Streamable HTTP (/mcp) sessions open at once. */
  maxSessions: number;
  /** Most /mcp sessions one client (bearer token, or address without tokens) holds; undefined: a quarter of maxSessions. */
  maxSessionsPerClient: number | undefined;
  /** Bytes of /mcp SSE events kept in Redis for clients that resume, all sessions together. */
  maxEventStoreBytes: number;
  /** Bytes of answers one WebSocket client may leave unread before the server stops reading its requests. */
  maxQueuedBytes: number;
  /** Calls one WebSocket client may have running at once before the server stops reading its requests. */
  maxCallsInFlight: number;
  /** Seconds a shutdown waits for calls in flight before it closes every connection. */
  shutdownTimeoutSec: number;
  /** Seconds the outcome of a call made with an idempotency key is kept. */
  idempotencyTtlSec: number;
  /** Seconds a finished task (MCP Tasks extension) is kept for clients to read. */
  taskTtlSec: number;
  /** Most live tasks, every client and instance together. */
  maxTasks: number;
  /** Most live tasks one client holds. */
  maxTasksPerClient: number;
  /** Seconds a subscription (redis_subscribe) may go unread before it is freed. */
  subscriptionIdleTimeoutSec: number;
  /** Most subscriptions this process holds at once. */
  maxSubscriptions: number;
  /** Unread events kept per subscription; older ones are dropped and counted. */
  subscriptionBuffer: number;
  /** Most subscriptions one client (credential, or address without tokens) holds; undefined: a quarter of maxSubscriptions. */
  maxSubscriptionsPerClient: number | undefined;
  /** Most resources/subscribe subscriptions one client holds over all its connections. */
  maxResourceSubscriptionsPerClient: number;
  /** Most calls of tools that wait one client may have running at once. */
  maxWaitingCallsPerClient: number;
  /** Sentinels (host:port) that name the master; non-empty: sentinel mode, --redis-url gives only credentials and scheme. */
  sentinels: string[];
  /** The master's name as the sentinels know it (`sentinel monitor <name> ...`). */
  sentinelMaster: string;
  sentinelUsername: string | undefined;
  sentinelPassword: string | undefined;
  /** Speak TLS to the sentinels too (with --redis-tls-ca-file when their CA is private). */
  sentinelTls: boolean;
  /** Replicas that must acknowledge each write (Redis WAIT) before the call answers success; 0: no waiting. */
  waitReplicas: number;
  /** Longest a write call waits for --wait-replicas acknowledgements, in milliseconds. */
  waitTimeoutMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** list: comma-separated (and the flag may be repeated); boolean: a bare flag, or true/false in the environment. */
type Kind = 'string' | 'integer' | 'choice' | 'list' | 'boolean';

export interface OptionSpec {
  key: keyof Config;
  flag: string;
  env?: string;
  kind: Kind;
  choices?: readonly string[];
  min?: number;
  max?: number;
  default: unknown;
  help: string;
  /**
   * For a list that restricts something: what an empty value would silently mean. Given
   * explicitly empty (`--tools ''`, or only commas and spaces, as an unset shell variable
   * expands), it is refused with this text rather than taken as "no restriction".
   */
  emptyMeans?: string;
  /** The environment variable set to '' is refused too (otherwise '' counts as unset). */
  emptyEnvRefused?: boolean;
}

export const optionSpecs: readonly OptionSpec[] = [
  {
    key: 'transport',
    flag: 'transport',
    env: 'MCP_TRANSPORT',
    kind: 'choice',
    choices: ['stdio', 'websocket', 'http'],
    default: 'stdio',
    help: 'How MCP clients connect: stdio, or websocket / http (both start the HTTP server with /ws, /mcp and /v1).',
  },
  {
    key: 'redisUrl',
    flag: 'redis-url',
    env: 'REDIS_URL',
    kind: 'string',
    default: undefined,
    help: 'Redis to use, e.g. redis://user:pass@host:6379 or rediss:// for TLS. Unset: redis://127.0.0.1:6379, or a private redis-server when none answers there.',
  },
  {
    key: 'clusterNodes',
    flag: 'cluster-nodes',
    env: 'REDIS_CLUSTER_NODES',
    kind: 'list',
    default: [],
    help: 'Seed nodes of a Redis Cluster, e.g. 10.0.0.1:7000,10.0.0.2:7000; the rest of the cluster is discovered. --redis-url, if set, gives the scheme (rediss:// for TLS) and user:password used for every node. --db must be 0 (the default in cluster mode).',
  },
  {
    key: 'db',
    flag: 'db',
    env: 'REDIS_DB',
    kind: 'integer',
    min: 0,
    max: 15,
    default: 1,
    help: 'Redis database number; 1 keeps agent data apart from business data in 0.',
  },
  {
    key: 'keyPrefix',
    flag: 'key-prefix',
    env: 'REDIS_KEY_PREFIX',
    kind: 'string',
    default: '',
    help: 'Namespace put in front of every key and channel, ending in ":" ("agent1" means "agent1:"); tools never see or reach keys outside it.',
  },
  {
    key: 'maxConnections',
    flag: 'max-connections',
    env: 'REDIS_MAX_CONNECTIONS',
    kind: 'integer',
    min: 1,
    max: 1000,
    default: 10,
    help: 'Most Redis connections held open; ordinary commands share one pipelined connection.',
  },
  {
    key: 'commandTimeoutMs',
    flag: 'command-timeout',
    env: 'REDIS_COMMAND_TIMEOUT',
    kind: 'integer',
    min: 50,
    max: 60_000,
    default: 1000,
    help: 'Milliseconds Redis may send nothing while replies are due before the connection is replaced and its calls fail with REDIS_NOT_CONNECTED.',
  },
  {
    key: 'maxValueBytes',
    flag: 'max-value-bytes',
    env: 'MCP_MAX_VALUE_BYTES',
    kind: 'integer',
    min: 1,
    max: 512 * 1024 * 1024,
    default: 1024 * 1024,
    help: 'Largest encoded value a write may store; larger ones fail with VALUE_TOO_LARGE.',
  },
  {
    key: 'maxMessageBytes',
    flag: 'max-message-bytes',
    env: 'MCP_MAX_MESSAGE_BYTES',
    kind: 'integer',
    min: 1024,
    max: 1024 * 1024 * 1024,
    default: 4 * 1024 * 1024,
    help: 'Longest message accepted: a JSON-RPC line on stdio (a longer one is answered with a JSON-RPC error and skipped), an HTTP request body (413) or a WebSocket frame (the socket is closed with 1009).',
  },
  {
    key: 'toolsets',
    flag: 'toolsets',
    env: 'MCP_TOOLSETS',
    kind: 'list',
    default: [...defaultToolsets],
    help: `Comma-separated toolsets to offer, or all. Toolsets: ${toolsetNames.join(', ')}.`,
  },
  {
    key: 'maxResponseBytes',
    flag: 'max-response-bytes',
    env: 'MCP_MAX_RESPONSE_BYTES',
    kind: 'integer',
    min: 1024,
    max: 512 * 1024 * 1024,
    default: 1024 * 1024,
    help: 'Byte budget of one answer of a collection tool; a longer answer is cut at an element boundary and says where to continue.',
  },
  {
    key: 'readOnly',
    flag: 'read-only',
    env: 'MCP_READ_ONLY',
    kind: 'boolean',
    default: false,
    help: 'Offer only tools that do not change Redis; write tools are hidden from tools/list and answer FORBIDDEN.',
  },
  {
    key: 'tools',
    flag: 'tools',
    env: 'MCP_TOOLS',
    kind: 'list',
    default: [],
    emptyMeans: 'every tool is offered',
    emptyEnvRefused: true,
    help: 'Comma-separated tool names to offer (e.g. redis_get,redis_keys); the others are hidden and answer FORBIDDEN. Unset: all tools.',
  },
  {
    key: 'disableTools',
    flag: 'disable-tools',
    env: 'MCP_DISABLE_TOOLS',
    kind: 'list',
    default: [],
    emptyMeans: 'no tool is disabled',
    help: 'Comma-separated tool names not to offer, applied after --tools.',
  },
  {
    key: 'conformanceFixtures',
    flag: 'conformance-fixtures',
    env: 'MCP_CONFORMANCE_FIXTURES',
    kind: 'boolean',
    default: false,
    help: "Also offer the official MCP conformance suite's fixture tools (test_*), resources (test://...) and prompts, to run the suite against this server; never part of --toolsets all.",
  },
  {
    key: 'schemaProfile',
    flag: 'schema-profile',
    env: 'MCP_SCHEMA_PROFILE',
    kind: 'choice',
    choices: ['portable', 'strict'],
    default: 'portable',
    help: 'Input schemas in tools/list: portable (every provider) or strict (OpenAI strict function calling: closed objects, every field required, null meaning absent).',
  },
  {
    key: 'redisTlsCaFile',
    flag: 'redis-tls-ca-file',
    env: 'REDIS_TLS_CA_FILE',
    kind: 'string',
    default: undefined,
    help: 'PEM file of the CA that signed the Redis server certificate (for rediss:// with a private CA).',
  },
  {
    key: 'embeddedRedis',
    flag: 'embedded-redis',
    env: 'MCP_EMBEDDED_REDIS',
    kind: 'choice',
    choices: ['auto', 'always', 'never'],
    default: 'auto',
    help: 'auto: with no --redis-url and nothing on 127.0.0.1:6379, start a private redis-server; always: start one regardless; never: do not.',
  },
  {
    key: 'dataDir',
    flag: 'data-dir',
    env: 'MCP_DATA_DIR',
    kind: 'string',
    default: undefined,
    help: 'Where the private redis-server keeps its data. Default: $XDG_DATA_HOME/redis-mcp-server or ~/.local/share/redis-mcp-server.',
  },
  { key: 'host', flag: 'host', env: 'MCP_HOST', kind: 'string', default: '127.0.0.1', help: 'Address the HTTP server binds to.' },
  { key: 'port', flag: 'port', env: 'MCP_PORT', kind: 'integer', min: 0, max: 65535, default: 8920, help: 'Port of the HTTP server (0 picks a free one).' },
  {
    key: 'sessionIdleTimeoutSec',
    flag: 'session-idle-timeout',
    env: 'MCP_SESSION_IDLE_TIMEOUT',
    kind: 'integer',
    min: 1,
    max: 7 * 24 * 3600,
    default: 1800,
    help: 'Seconds a Streamable HTTP (/mcp) session may sit unused before it is closed and its memory freed.',
  },
  {
    key: 'healthPort',
    flag: 'health-port',
    env: 'MCP_HEALTH_PORT',
    kind: 'integer',
    min: 0,
    max: 65535,
    default: undefined,
    help: 'With --transport stdio, also serve /health and /metrics on this port.',
  },
  {
    key: 'authTokens',
    flag: 'auth-token',
    env: 'MCP_AUTH_TOKEN',
    kind: 'list',
    default: [],
    emptyMeans: 'no token is asked for',
    emptyEnvRefused: true,
    help: 'Bearer token clients must send (Authorization: Bearer <token>) on /mcp, /ws and /v1. Several: comma-separated or the flag repeated. Unset: no token is asked for.',
  },
  {
    key: 'allowUnauthenticated',
    flag: 'allow-unauthenticated',
    env: 'MCP_ALLOW_UNAUTHENTICATED',
    kind: 'boolean',
    default: false,
    help: 'Start even though --host is not a loopback address and no --auth-token is set (anyone who can reach the port can read and write).',
  },
  {
    key: 'allowedOrigins',
    flag: 'allowed-origins',
    env: 'MCP_ALLOWED_ORIGINS',
    kind: 'list',
    default: [],
    emptyMeans: 'no origin is added to the defaults',
    help: 'Browser origins (e.g. https://app.example.com) allowed besides pages served from localhost and the bound address; * allows any. Requests without Origin are always allowed.',
  },
  {
    key: 'allowedHosts',
    flag: 'allowed-hosts',
    env: 'MCP_ALLOWED_HOSTS',
    kind: 'list',
    default: [],
    emptyMeans: 'no Host name is added to the defaults',
    help: 'Host header values (name, or name:port) accepted besides localhost, 127.0.0.1, [::1] and the bound address; * accepts any. Guards against DNS rebinding.',
  },
  {
    key: 'rateLimit',
    flag: 'rate-limit',
    env: 'MCP_RATE_LIMIT',
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    default: undefined,
    help: 'Requests per minute allowed per client address on /mcp, /v1 and WebSocket upgrades; more answer 429 RATE_LIMITED. Unset: no limit.',
  },
  {
    key: 'requestTimeoutSec',
    flag: 'request-timeout',
    env: 'MCP_REQUEST_TIMEOUT',
    kind: 'integer',
    min: 1,
    max: 3600,
    default: 30,
    help: 'Seconds a client has to send a whole HTTP request (headers and body); a slower one is answered 408 and its connection closed.',
  },
  {
    key: 'maxClients',
    flag: 'max-clients',
    env: 'MCP_MAX_CLIENTS',
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    default: 1000,
    help: 'Most client connections (HTTP and WebSocket) open at once; a request on a connection beyond it is answered 503 and the connection closed.',
  },
  {
    key: 'maxSessionsPerClient',
    flag: 'max-sessions-per-client',
    env: 'MCP_MAX_SESSIONS_PER_CLIENT',
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    default: undefined,
    help: 'Most Streamable HTTP (/mcp) sessions one client holds: one bearer token, or one address when no token is asked for; an initialize beyond it is answered 503 SERVER_BUSY. Unset: a quarter of --max-sessions.',
  },
  {
    key: 'maxEventStoreBytes',
    flag: 'max-event-store-bytes',
    env: 'MCP_MAX_EVENT_STORE_BYTES',
    kind: 'integer',
    min: 0,
    max: 64 * 1024 * 1024 * 1024,
    default: 64 * 1024 * 1024,
    help: 'Bytes of Streamable HTTP (/mcp) events kept in Redis for clients that resume a stream, all sessions together; each session keeps its share (this / --max-sessions), oldest events dropped first. A larger event is delivered but not kept.',
  },
  {
    key: 'maxSessions',
    flag: 'max-sessions',
    env: 'MCP_MAX_SESSIONS',
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    default: 1000,
    help: 'Most Streamable HTTP (/mcp) sessions open at once; an initialize beyond it is answered 503 until one closes or expires.',
  },
  {
    key: 'wsIdleTimeoutSec',
    flag: 'ws-idle-timeout',
    env: 'MCP_WS_IDLE_TIMEOUT',
    kind: 'integer',
    min: 1,
    max: 7 * 24 * 3600,
    default: 300,
    help: 'Seconds a WebSocket connection may go without sending a message, with no call running, before it is closed (1001).',
  },
  {
    key: 'wsPingIntervalSec',
    flag: 'ws-ping-interval',
    env: 'MCP_WS_PING_INTERVAL',
    kind: 'integer',
    min: 1,
    max: 3600,
    default: 30,
    help: 'Seconds between WebSocket pings; a client that has not answered one ping by the next is disconnected.',
  },
  {
    key: 'maxQueuedBytes',
    flag: 'max-queued-bytes',
    env: 'MCP_MAX_QUEUED_BYTES',
    kind: 'integer',
    min: 64 * 1024,
    max: 1024 * 1024 * 1024,
    default: 8 * 1024 * 1024,
    help: 'Bytes of answers a WebSocket client may leave unread; beyond it the server stops reading that client until it catches up.',
  },
  {
    key: 'maxCallsInFlight',
    flag: 'max-calls-in-flight',
    env: 'MCP_MAX_CALLS_IN_FLIGHT',
    kind: 'integer',
    min: 1,
    max: 100_000,
    default: 64,
    help: 'Requests one stdio or WebSocket client may have running at once, besides calls that wait (a lock, a claim, a blocking pop: up to 1000 more); beyond it the server reads its next request only when one is answered.',
  },
  {
    key: 'shutdownTimeoutSec',
    flag: 'shutdown-timeout',
    env: 'MCP_SHUTDOWN_TIMEOUT',
    kind: 'integer',
    min: 1,
    max: 3600,
    default: 10,
    help: 'Seconds a shutdown (SIGTERM) waits for calls in flight to answer; then every connection still open is closed.',
  },
  {
    key: 'sentinels',
    flag: 'sentinels',
    env: 'REDIS_SENTINELS',
    kind: 'list',
    default: [],
    emptyMeans: 'no sentinel is asked (standalone mode)',
    help: "Comma-separated host:port of Redis Sentinels; the server asks them for the current master of --sentinel-master and follows it after a failover. --redis-url then gives only the data nodes' credentials and scheme (rediss:// for TLS), not their address.",
  },
  {
    key: 'sentinelMaster',
    flag: 'sentinel-master',
    env: 'REDIS_SENTINEL_MASTER',
    kind: 'string',
    default: 'mymaster',
    help: 'Name of the master the sentinels monitor (sentinel monitor <name> ...).',
  },
  {
    key: 'sentinelUsername',
    flag: 'sentinel-username',
    env: 'REDIS_SENTINEL_USERNAME',
    kind: 'string',
    default: undefined,
    help: 'ACL user for the sentinels (when they require one).',
  },
  {
    key: 'sentinelPassword',
    flag: 'sentinel-password',
    env: 'REDIS_SENTINEL_PASSWORD',
    kind: 'string',
    default: undefined,
    help: "Password for the sentinels (sentinel requirepass, or the ACL user's); the data nodes take theirs from --redis-url.",
  },
  {
    key: 'sentinelTls',
    flag: 'sentinel-tls',
    env: 'REDIS_SENTINEL_TLS',
    kind: 'boolean',
    default: false,
    help: 'Connect to the sentinels over TLS (with --redis-tls-ca-file for a private CA).',
  },
  {
    key: 'waitReplicas',
    flag: 'wait-replicas',
    env: 'REDIS_WAIT_REPLICAS',
    kind: 'integer',
    min: 0,
    max: 100,
    default: 0,
    help: 'After each call of a tool that writes, wait (Redis WAIT) until this many replicas hold the write; when fewer do within --wait-timeout-ms the call answers REPLICATION_TIMEOUT instead of success. 0: no waiting.',
  },
  {
    key: 'waitTimeoutMs',
    flag: 'wait-timeout-ms',
    env: 'REDIS_WAIT_TIMEOUT_MS',
    kind: 'integer',
    min: 1,
    max: 60_000,
    default: 1000,
    help: 'Milliseconds a write call waits for the --wait-replicas acknowledgements.',
  },
  {
    key: 'idempotencyTtlSec',
    flag: 'idempotency-ttl',
    env: 'MCP_IDEMPOTENCY_TTL',
    kind: 'integer',
    min: 1,
    max: 30 * 24 * 3600,
    default: 86_400,
    help: 'Seconds the outcome of a call made with an idempotency key (MCP _meta.idempotency_key, REST Idempotency-Key) is kept; a retry within it gets the same result without running again.',
  },
  {
    key: 'taskTtlSec',
    flag: 'task-ttl',
    env: 'MCP_TASK_TTL',
    kind: 'integer',
    min: 1,
    max: 7 * 24 * 3600,
    default: 3600,
    help: 'Seconds a finished task (the MCP Tasks extension, on the 2026-07-28 protocol) is kept, with its result, for clients to read with tasks/get; the ttlMs every task states.',
  },
  {
    key: 'maxTasks',
    flag: 'max-tasks',
    env: 'MCP_MAX_TASKS',
    kind: 'integer',
    min: 1,
    max: 100_000,
    default: 1000,
    help: 'Most tasks running or waiting for input at once, every client and every instance sharing the Redis together; a call that would start one more is answered SERVER_BUSY.',
  },
  {
    key: 'maxTasksPerClient',
    flag: 'max-tasks-per-client',
    env: 'MCP_MAX_TASKS_PER_CLIENT',
    kind: 'integer',
    min: 1,
    max: 100_000,
    default: 20,
    help: 'Most tasks one client (credential, else address) holds running or waiting for input at once, over every instance; one more is answered SERVER_BUSY.',
  },
  {
    key: 'subscriptionIdleTimeoutSec',
    flag: 'subscription-idle-timeout',
    env: 'MCP_SUBSCRIPTION_IDLE_TIMEOUT',
    kind: 'integer',
    min: 1,
    max: 7 * 24 * 3600,
    default: 300,
    help: 'Seconds a subscription (redis_subscribe) may go unread before it is freed; a read or an open event stream keeps it.',
  },
  {
    key: 'maxSubscriptions',
    flag: 'max-subscriptions',
    env: 'MCP_MAX_SUBSCRIPTIONS',
    kind: 'integer',
    min: 1,
    max: 100_000,
    default: 1000,
    help: 'Most subscriptions (and REST watch streams) this process holds at once; beyond it redis_subscribe answers SERVER_BUSY.',
  },
  {
    key: 'subscriptionBuffer',
    flag: 'subscription-buffer',
    env: 'MCP_SUBSCRIPTION_BUFFER',
    kind: 'integer',
    min: 1,
    max: 100_000,
    default: 1000,
    help: 'Unread events kept per subscription (and at most 1 MiB of them); when full the oldest are dropped and counted in dropped.',
  },
  {
    key: 'maxSubscriptionsPerClient',
    flag: 'max-subscriptions-per-client',
    env: 'MCP_MAX_SUBSCRIPTIONS_PER_CLIENT',
    kind: 'integer',
    min: 1,
    max: 100_000,
    default: undefined,
    help: 'Most subscriptions (and REST watch streams) one client holds: one bearer token, or one address when no token is asked for (stdio: the whole --max-subscriptions); beyond it redis_subscribe answers SERVER_BUSY. Unset: a quarter of --max-subscriptions.',
  },
  {
    key: 'maxResourceSubscriptionsPerClient',
    flag: 'max-resource-subscriptions-per-client',
    env: 'MCP_MAX_RESOURCE_SUBSCRIPTIONS_PER_CLIENT',
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    default: 1000,
    help: 'Most MCP resource subscriptions (resources/subscribe) one client holds over all its connections (each connection holds at most 100); beyond it SERVER_BUSY.',
  },
  {
    key: 'maxWaitingCallsPerClient',
    flag: 'max-waiting-calls-per-client',
    env: 'MCP_MAX_WAITING_CALLS_PER_CLIENT',
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    default: 1000,
    help: 'Calls that wait (a lock, a claim, a blocking pop, a subscription read, a watch) one client may have running at once over all its connections and sessions; beyond it such a call answers SERVER_BUSY.',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'LOG_LEVEL',
    kind: 'choice',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    help: 'Least severe log level written to stderr.',
  },
];

/** A flag's value as node:util parseArgs gives it: text, true for a bare boolean flag, a list for a repeated one. */
export type FlagValue = string | boolean | string[] | undefined;

function parseValue(spec: OptionSpec, raw: string | boolean | string[], source: string): unknown {
  if (spec.kind === 'list') {
    const parts = (Array.isArray(raw) ? raw : [String(raw)]).flatMap((part) => part.split(','));
    const items = parts.map((part) => part.trim()).filter((part) => part !== '');
    if (items.length === 0 && spec.emptyMeans) {
      throw new ConfigError(
        `${source} is empty (as an unset shell variable expands), which would mean ${spec.emptyMeans}. Give at least one value, or leave ${source} out.`,
      );
    }
    return items;
  }
  if (spec.kind === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    const text = String(raw).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(text)) return true;
    if (['0', 'false', 'no', 'off'].includes(text)) return false;
    throw new ConfigError(`${source} must be true or false; got "${String(raw)}".`);
  }
  if (Array.isArray(raw)) raw = raw[raw.length - 1]!;
  if (typeof raw === 'boolean') throw new ConfigError(`${source} needs a value.`);
  if (spec.kind === 'string') return raw;
  if (spec.kind === 'choice') {
    if (!spec.choices!.includes(raw)) {
      throw new ConfigError(`${source} must be one of ${spec.choices!.join(', ')}; got "${raw}".`);
    }
    return raw;
  }
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) {
    throw new ConfigError(`${source} must be a whole number; got "${raw}".`);
  }
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    throw new ConfigError(`${source} must be between ${spec.min} and ${spec.max}; got ${value}.`);
  }
  return value;
}

/**
 * Builds a Config from parsed flags (by flag name) and the environment. Values given in code
 * (the library API) are passed as `overrides` and beat both.
 */
export function resolveConfig(flags: Record<string, FlagValue> = {}, env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config: Record<string, unknown> = {};
  for (const spec of optionSpecs) {
    const flag = flags[spec.flag];
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (flag !== undefined) config[spec.key] = parseValue(spec, flag, `--${spec.flag}`);
    else if (fromEnv !== undefined && (fromEnv !== '' || spec.emptyEnvRefused)) config[spec.key] = parseValue(spec, fromEnv, spec.env!);
    else config[spec.key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  const resolved = { ...(config as unknown as Config), ...definedOnly(overrides) };
  if (resolved.clusterNodes.length > 0) {
    // A cluster has only database 0: the standalone default of 1 yields to it, an explicit choice is refused.
    const dbGiven = flags.db !== undefined || (env.REDIS_DB !== undefined && env.REDIS_DB !== '') || overrides.db !== undefined;
    if (dbGiven && resolved.db !== 0) {
      throw new ConfigError(
        `--db ${resolved.db} cannot be used with --cluster-nodes: a Redis Cluster has only database 0. Use --key-prefix to keep agent data apart.`,
      );
    }
    resolved.db = 0;
    for (const node of resolved.clusterNodes) parseClusterNode(node);
  }
  try {
    resolved.keyPrefix = namespacePrefix(resolved.keyPrefix);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return resolved;
}

/** A seed of --cluster-nodes: host:port (IPv6 in brackets), port required. */
export function parseClusterNode(node: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(node);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new ConfigError(`--cluster-nodes: "${node}" is not host:port.`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The --help text, built from the same table. */
export function helpText(): string {
  const lines = optionSpecs.map((spec) => {
    const value = { choice: ` <${spec.choices?.join('|')}>`, integer: ' <n>', string: ' <text>', list: ' <a,b,...>', boolean: '' }[spec.kind];
    const noDefault = spec.default === undefined || spec.default === '' || spec.default === false || (Array.isArray(spec.default) && spec.default.length === 0);
    const fallback = noDefault ? '' : ` (default: ${spec.default})`;
    const env = spec.env ? ` [env ${spec.env}]` : '';
    return `  --${spec.flag}${value}\n      ${spec.help}${fallback}${env}`;
  });
  return [
    'Usage: redis-mcp-server [options]',
    '',
    'A Redis-backed state store for AI agents over MCP (stdio, WebSocket, Streamable HTTP) and REST.',
    '',
    'Options:',
    ...lines,
    '  --help       Show this help.',
    '  --version    Show the version.',
    '',
  ].join('\n');
}

/** True for addresses only this machine can reach: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || name === '::ffff:127.0.0.1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * Refuses to serve MCP and REST on an address other machines can reach with no token asked for,
 * unless the operator says so with --allow-unauthenticated.
 */
export function assertSafeExposure(config: Pick<Config, 'host' | 'authTokens' | 'allowUnauthenticated'>): void {
  if (isLoopbackHost(config.host) || config.authTokens.length > 0 || config.allowUnauthenticated) return;
  throw new ConfigError(
    `--host ${config.host} is reachable from other machines, and no --auth-token is set: anyone who can connect could read and write ` +
      'this Redis. Set --auth-token (or MCP_AUTH_TOKEN), bind to 127.0.0.1, or pass --allow-unauthenticated if a proxy in front checks clients.',
  );
}

/** A Redis URL fit for logs: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}
