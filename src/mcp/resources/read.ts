import { ProtocolError, ProtocolErrorCode, type ReadResourceResult } from '@modelcontextprotocol/server';
import { tools, type ToolName } from '../../../generated/registry.js';
import { invalidParams, type ToolRunner } from '../../tools/runner.js';
import type { ToolContext } from '../../tools/context.js';
import { notFound, toProtocolError } from './errors.js';
import { readerFor } from './run-reader.js';
import { specOf, type TemplateSpec } from './templates.js';
import { parseResourceUri, type ResourceAddress } from './uri.js';

/** The template a URI belongs to and the name in it, if this server offers it; else a -32602 error. */
export function resolveUri(uri: string, enabled: ReadonlySet<ToolName>): { spec: TemplateSpec; address: ResourceAddress } {
  const address = parseResourceUri(uri);
  if (!address)
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Unknown resource URI: ${uri} (expected redis://key/{key}, redis://session/{session_id}, redis://queue/{queue} or redis://lock/{name}, the name percent-encoded)`,
      { uri },
    );
  const spec = specOf(address.kind);
  if (!enabled.has(spec.tool)) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `${address.kind} resources are not offered on this server (they go with the tool ${spec.tool}, which is not offered)`,
      { uri, code: 'FORBIDDEN' },
    );
  }
  // The name as the tool itself would take it (the template variable is the tool's parameter).
  const parsed = tools[spec.tool].input.safeParse({ [spec.variable]: address.name });
  if (!parsed.success) throw toProtocolError(invalidParams(parsed.error), uri);
  return { spec, address };
}

/** resources/read: the current value as one JSON text. */
export async function readResource(
  uri: string,
  enabled: ReadonlySet<ToolName>,
  ctx: ToolContext,
  runner: Pick<ToolRunner, 'read'>,
): Promise<ReadResourceResult> {
  const { spec, address } = resolveUri(uri, enabled);
  let value: Record<string, unknown> | undefined;
  try {
    value = await spec.read(address.name, ctx, readerFor(runner, spec.tool));
  } catch (error) {
    throw toProtocolError(error, uri);
  }
  if (value === undefined) throw notFound(uri, `no ${address.kind} named ${JSON.stringify(address.name)}`);
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value) }] };
}
