/**
 * One parsed Config, read once. Each option is declared once below with its flag, environment
 * variable, default and help text; flags beat the environment, which beats defaults.
 */

export type Transport = 'stdio' | 'websocket' | 'http';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type EmbeddedMode = 'auto' | 'always' | 'never';

export interface Config {
  transport: Transport;
  /** Undefined when neither flag nor environment names one: then the embedded default applies. */
  redisUrl: string | undefined;
  db: number;
  keyPrefix: string;
  maxConnections: number;
  commandTimeoutMs: number;
  maxValueBytes: number;
  redisTlsCaFile: string | undefined;
  embeddedRedis: EmbeddedMode;
  dataDir: string | undefined;
  host: string;
  port: number;
  healthPort: number | undefined;
  /** Seconds without a request after which a Streamable HTTP session is closed and freed. */
  sessionIdleTimeoutSec: number;
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Kind = 'string' | 'integer' | 'choice';

interface OptionSpec {
  key: keyof Config;
  flag: string;
  env?: string;
  kind: Kind;
  choices?: readonly string[];
  min?: number;
  max?: number;
  default: unknown;
  help: string;
}

export const optionSpecs: readonly OptionSpec[] = [
  { key: 'transport', flag: 'transport', env: 'MCP_TRANSPORT', kind: 'choice', choices: ['stdio', 'websocket', 'http'], default: 'stdio', help: 'How MCP clients connect: stdio, or websocket / http (both start the HTTP server with /ws, /mcp and /v1).' },
  { key: 'redisUrl', flag: 'redis-url', env: 'REDIS_URL', kind: 'string', default: undefined, help: 'Redis to use, e.g. redis://user:pass@host:6379 or rediss:// for TLS. Unset: redis://127.0.0.1:6379, or a private redis-server when none answers there.' },
  { key: 'db', flag: 'db', env: 'REDIS_DB', kind: 'integer', min: 0, max: 15, default: 1, help: 'Redis database number; 1 keeps agent data apart from business data in 0.' },
  { key: 'keyPrefix', flag: 'key-prefix', env: 'REDIS_KEY_PREFIX', kind: 'string', default: '', help: 'Namespace put in front of every key; tools never see or reach keys outside it.' },
  { key: 'maxConnections', flag: 'max-connections', env: 'REDIS_MAX_CONNECTIONS', kind: 'integer', min: 1, max: 1000, default: 10, help: 'Most Redis connections held open; ordinary commands share one pipelined connection.' },
  { key: 'commandTimeoutMs', flag: 'command-timeout', env: 'REDIS_COMMAND_TIMEOUT', kind: 'integer', min: 50, max: 60_000, default: 1000, help: 'Milliseconds to wait for a Redis reply before the call fails with REDIS_NOT_CONNECTED.' },
  { key: 'maxValueBytes', flag: 'max-value-bytes', env: 'MCP_MAX_VALUE_BYTES', kind: 'integer', min: 1, max: 512 * 1024 * 1024, default: 1024 * 1024, help: 'Largest encoded value a write may store; larger ones fail with VALUE_TOO_LARGE.' },
  { key: 'redisTlsCaFile', flag: 'redis-tls-ca-file', env: 'REDIS_TLS_CA_FILE', kind: 'string', default: undefined, help: 'PEM file of the CA that signed the Redis server certificate (for rediss:// with a private CA).' },
  { key: 'embeddedRedis', flag: 'embedded-redis', env: 'MCP_EMBEDDED_REDIS', kind: 'choice', choices: ['auto', 'always', 'never'], default: 'auto', help: 'auto: with no --redis-url and nothing on 127.0.0.1:6379, start a private redis-server; always: start one regardless; never: do not.' },
  { key: 'dataDir', flag: 'data-dir', env: 'MCP_DATA_DIR', kind: 'string', default: undefined, help: 'Where the private redis-server keeps its data. Default: $XDG_DATA_HOME/redis-mcp-server or ~/.local/share/redis-mcp-server.' },
  { key: 'host', flag: 'host', env: 'MCP_HOST', kind: 'string', default: '127.0.0.1', help: 'Address the HTTP server binds to.' },
  { key: 'port', flag: 'port', env: 'MCP_PORT', kind: 'integer', min: 0, max: 65535, default: 8920, help: 'Port of the HTTP server (0 picks a free one).' },
  { key: 'sessionIdleTimeoutSec', flag: 'session-idle-timeout', env: 'MCP_SESSION_IDLE_TIMEOUT', kind: 'integer', min: 1, max: 7 * 24 * 3600, default: 1800, help: 'Seconds a Streamable HTTP (/mcp) session may sit unused before it is closed and its memory freed.' },
  { key: 'healthPort', flag: 'health-port', env: 'MCP_HEALTH_PORT', kind: 'integer', min: 0, max: 65535, default: undefined, help: 'With --transport stdio, also serve /health and /metrics on this port.' },
  { key: 'logLevel', flag: 'log-level', env: 'LOG_LEVEL', kind: 'choice', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', help: 'Least severe log level written to stderr.' },
];

function parseValue(spec: OptionSpec, raw: string, source: string): unknown {
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
export function resolveConfig(
  flags: Record<string, string | undefined> = {},
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Config> = {},
): Config {
  const config: Record<string, unknown> = {};
  for (const spec of optionSpecs) {
    const flag = flags[spec.flag];
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (flag !== undefined) config[spec.key] = parseValue(spec, flag, `--${spec.flag}`);
    else if (fromEnv !== undefined && fromEnv !== '') config[spec.key] = parseValue(spec, fromEnv, spec.env!);
    else config[spec.key] = spec.default;
  }
  return { ...(config as unknown as Config), ...definedOnly(overrides) };
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The --help text, built from the same table. */
export function helpText(): string {
  const lines = optionSpecs.map((spec) => {
    const value = spec.kind === 'choice' ? `<${spec.choices!.join('|')}>` : spec.kind === 'integer' ? '<n>' : '<text>';
    const fallback = spec.default === undefined || spec.default === '' ? '' : ` (default: ${spec.default})`;
    const env = spec.env ? ` [env ${spec.env}]` : '';
    return `  --${spec.flag} ${value}\n      ${spec.help}${fallback}${env}`;
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
