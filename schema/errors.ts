/**
 * The one table of error codes. Every surface maps an AppError through it:
 * MCP as an isError result, REST as the HTTP status below.
 */
export const errorTable = {
  INVALID_PARAMS: { status: 400, meaning: 'Missing or invalid parameters; the message names the field.' },
  UNAUTHORIZED: { status: 401, meaning: 'No valid bearer token was presented.' },
  FORBIDDEN: {
    status: 403,
    meaning:
      'The tool is not offered here (toolset not chosen, read-only mode, allow/deny lists, --key-prefix for server-wide tools, or a command the connected Redis lacks; the message says which), a name in the server\'s reserved namespace (keys and channels starting with "__mcp:", and Redis\'s own "__keyspace@"/"__keyevent@" channels), or the origin is not allowed.',
  },
  SESSION_NOT_FOUND: {
    status: 404,
    meaning:
      'The session does not exist, has expired, or its key no longer holds a valid session (details.reason says what is wrong); delete it to reuse the id.',
  },
  NOT_FOUND: { status: 404, meaning: 'No such route or tool.' },
  SUBSCRIPTION_NOT_FOUND: {
    status: 404,
    meaning:
      'No subscription has this id in this server process: it was never made here, was unsubscribed, or expired after going unread (see --subscription-idle-timeout). Subscribe again.',
  },
  GROUP_NOT_FOUND: { status: 404, meaning: 'The stream or its consumer group does not exist.' },
  WRONG_TYPE: { status: 409, meaning: 'The key holds a different Redis type than the tool works on.' },
  SESSION_EXISTS: { status: 409, meaning: 'A session with this id already exists.' },
  VALUE_UNDECODABLE: {
    status: 409,
    meaning:
      'A stored value (written by another client) is JSON that cannot be answered exactly: nested deeper than 512 levels, or a number beyond ±(2^53−1) or infinite. The message names the key and field; tools that take raw: true return the stored text.',
  },
  VALUE_NOT_NUMERIC: {
    status: 409,
    meaning:
      'The stored value is not a number the counter can change (an integer for the integer counters), or the result would lie beyond ±(2^53−1), where JSON numbers stop being exact; nothing was changed.',
  },
  CONFLICT: {
    status: 409,
    meaning:
      'The state changed under the call: a compare-and-set or fencing check failed, a queue receipt is stale, or an idempotency key was reused with other arguments; details carry the current version or state.',
  },
  CONFIRMATION_REQUIRED: {
    status: 428,
    meaning:
      "A destructive bulk operation needs the user's consent: ask the user, then call again with confirm: true. Clients that support elicitation are asked by the server itself; this answer means the user was not asked, or did not agree.",
  },
  IN_PROGRESS: { status: 409, meaning: 'A call with this idempotency key is still running; retry later to get its result.' },
  NOTIFICATIONS_OFF: {
    status: 409,
    meaning:
      'Watching keys needs Redis keyspace notifications (notify-keyspace-events with K and A), which are off, and this server may not turn them on (CONFIG refused); the message says what to set. Channel subscriptions work without them.',
  },
  VALUE_TOO_LARGE: { status: 413, meaning: 'An encoded value is larger than the configured limit.' },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests from this client; retry later.' },
  REDIS_ERROR: { status: 500, meaning: 'Redis rejected the operation.' },
  REDIS_NOT_CONNECTED: { status: 503, meaning: 'Redis is not reachable or did not answer in time; nothing was changed that was reported.' },
  SERVER_BUSY: {
    status: 503,
    meaning:
      'The server is at its limit of client connections, sessions, subscriptions or waiting calls, or this client holds its share of them (the message names the option), or 1000 blocking commands already queue for a pooled Redis connection; retry later.',
  },
  REPLICATION_TIMEOUT: {
    status: 503,
    meaning:
      'With --wait-replicas: the write happened on the master but is not known to be on the required number of replicas within --wait-timeout-ms (details say how many acknowledged). A failover now could lose it; it is not undone. Check the state, or retry once replicas are back.',
  },
  INTERNAL_ERROR: { status: 500, meaning: 'An unexpected server fault.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof errorTable;

export const errorCodes = Object.keys(errorTable) as ErrorCode[];
