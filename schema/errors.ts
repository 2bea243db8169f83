/**
 * The one table of error codes. Every surface maps an AppError through it:
 * MCP as an isError result, REST as the HTTP status below.
 */
export const errorTable = {
  INVALID_PARAMS: { status: 400, meaning: 'Missing or invalid parameters; the message names the field.' },
  UNAUTHORIZED: { status: 401, meaning: 'No valid bearer token was presented.' },
  FORBIDDEN: { status: 403, meaning: 'The tool is disabled here (read-only mode or a tool deny list), or the origin is not allowed.' },
  SESSION_NOT_FOUND: { status: 404, meaning: 'The session does not exist or has expired.' },
  NOT_FOUND: { status: 404, meaning: 'No such route or tool.' },
  WRONG_TYPE: { status: 409, meaning: 'The key holds a different Redis type than the tool works on.' },
  SESSION_EXISTS: { status: 409, meaning: 'A session with this id already exists.' },
  CONFLICT: {
    status: 409,
    meaning: 'A compare-and-set or fencing check failed, or an idempotency key was reused with other arguments; details carry the current version or state.',
  },
  IN_PROGRESS: { status: 409, meaning: 'A call with this idempotency key is still running; retry later to get its result.' },
  VALUE_TOO_LARGE: { status: 413, meaning: 'An encoded value is larger than the configured limit.' },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests from this client; retry later.' },
  REDIS_ERROR: { status: 500, meaning: 'Redis rejected the operation.' },
  REDIS_NOT_CONNECTED: { status: 503, meaning: 'Redis is not reachable or did not answer in time; nothing was changed that was reported.' },
  INTERNAL_ERROR: { status: 500, meaning: 'An unexpected server fault.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof errorTable;

export const errorCodes = Object.keys(errorTable) as ErrorCode[];
