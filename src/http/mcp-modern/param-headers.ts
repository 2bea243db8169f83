/**
 * SEP-2243 custom headers on /mcp (2026-07-28): a tool may mark a top-level parameter with
 * `x-mcp-header: <Name>` in its input schema, and clients then mirror its value into an
 * `Mcp-Param-<Name>` header, so that intermediaries can route on it. The header must agree with the
 * body: present whenever the body carries the value, equal to it once decoded (`=?base64?…?=` for
 * values a header cannot carry as they are; anything else is taken literally). The SDK checks this
 * only for its McpServer; this server checks it for every tool it lists that declares one (today
 * the conformance fixtures: none of the server's own tools needs a routing header).
 */

export interface ParamHeader {
  param: string;
  header: string;
}

type ListedTool = { name: string; inputSchema: { properties?: Record<string, unknown> } };

/** The declared headers of each tool that declares any. */
export function paramHeaderDeclarations(tools: readonly ListedTool[]): Map<string, ParamHeader[]> {
  const declared = new Map<string, ParamHeader[]>();
  for (const tool of tools) {
    const headers = Object.entries(tool.inputSchema.properties ?? {}).flatMap(([param, schema]) => {
      const header = (schema as { 'x-mcp-header'?: unknown })['x-mcp-header'];
      return typeof header === 'string' && header !== '' ? [{ param, header }] : [];
    });
    if (headers.length > 0) declared.set(tool.name, headers);
  }
  return declared;
}

const base64Sentinel = /^=\?base64\?(.*)\?=$/s;
const base64Text = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A header's value as the body would hold it; undefined when its Base64 is malformed. */
function decoded(value: string): string | undefined {
  const wrapped = base64Sentinel.exec(value);
  if (!wrapped) return value;
  return base64Text.test(wrapped[1]!) ? Buffer.from(wrapped[1]!, 'base64').toString('utf8') : undefined;
}

/** Why the call's headers disagree with its arguments, or undefined when they agree. */
export function paramHeaderMismatch(
  declared: readonly ParamHeader[],
  args: unknown,
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const values = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
  for (const { param, header } of declared) {
    const raw = headers[`mcp-param-${header.toLowerCase()}`];
    const value = values[param];
    if (raw === undefined) {
      if (value !== undefined && value !== null) return `Mcp-Param-${header} is missing; it must carry the value of ${param}.`;
      continue;
    }
    const text = decoded(Array.isArray(raw) ? raw.join(', ') : raw);
    if (text === undefined) return `Mcp-Param-${header} carries malformed Base64.`;
    if (value === undefined || text !== String(value)) return `Mcp-Param-${header} does not match the value of ${param} in the body.`;
  }
  return undefined;
}
