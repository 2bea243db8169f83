/**
 * The two protocol eras, as this server tells them apart before any SDK server sees a message:
 * 2026-07-28 requests carry a per-request envelope in `_meta`, naming their
 * protocol version; 2025-11-25 ones do not (they rely on `initialize` and, over HTTP, a session).
 */

/** The revision this server speaks beside 2025-11-25; the first without sessions. */
export const modernRevision = '2026-07-28';

/** The envelope's keys in `params._meta`. */
export const envelopeKeys = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
} as const;

/** Whether a message's params carry the per-request envelope (its protocol version claim). */
export function carriesEnvelope(params: unknown): boolean {
  const meta = (params as { _meta?: unknown } | null | undefined)?._meta;
  return typeof meta === 'object' && meta !== null && (meta as Record<string, unknown>)[envelopeKeys.protocolVersion] !== undefined;
}

/** Whether an MCP-Protocol-Version value names the modern era (this revision or a later one, which keep the envelope). */
export function namesModernRevision(version: string): boolean {
  return version.trim() >= modernRevision;
}

/** MCP's Tasks extension (SEP-2663), which lives on this era. */
export const tasksExtension = 'io.modelcontextprotocol/tasks';

/** Whether a request's declared client capabilities (its envelope's) include the Tasks extension. */
export function negotiatesTasks(capabilities: unknown): boolean {
  const extensions = (capabilities as { extensions?: unknown } | undefined)?.extensions;
  return typeof extensions === 'object' && extensions !== null && Object.hasOwn(extensions, tasksExtension);
}
