import { createHash } from 'node:crypto';

/**
 * How a session id appears in logs: the first 12 hex digits of its SHA-256. A Streamable HTTP
 * session id is a bearer credential for its session (whoever sends it is in), so logs, which
 * are read and shipped by many, must not hold it; the label still tells one session's lines
 * from another's, and whoever holds the id can compute it.
 */
export function sessionLabel(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12);
}
