import { specTypeSchemas, type JSONRPCMessage, type StandardSchemaV1Sync } from '@modelcontextprotocol/server';

/**
 * The request schemas of the methods this server answers, as the SDK publishes them. The SDK parses a request's params with them only inside the handler, and a
 * failed parse escapes as a zod error that it answers with -32603 Internal error and the issues
 * as a JSON dump. JSON-RPC 2.0 calls that -32602 Invalid params; checking first lets every surface
 * answer it so, in one readable line.
 */
const requestSchemas = new Map<string, StandardSchemaV1Sync<unknown>>([
  ['initialize', specTypeSchemas.InitializeRequest],
  ['ping', specTypeSchemas.PingRequest],
  ['tools/list', specTypeSchemas.ListToolsRequest],
  ['tools/call', specTypeSchemas.CallToolRequest],
  ['resources/list', specTypeSchemas.ListResourcesRequest],
  ['resources/templates/list', specTypeSchemas.ListResourceTemplatesRequest],
  ['resources/read', specTypeSchemas.ReadResourceRequest],
  ['resources/subscribe', specTypeSchemas.SubscribeRequest],
  ['resources/unsubscribe', specTypeSchemas.UnsubscribeRequest],
  ['prompts/list', specTypeSchemas.ListPromptsRequest],
  ['prompts/get', specTypeSchemas.GetPromptRequest],
  ['completion/complete', specTypeSchemas.CompleteRequest],
]);

/** Why a request's params do not fit its method, or undefined when they do (or the method is not one checked here). */
export function invalidParams(message: JSONRPCMessage): string | undefined {
  if (!('method' in message) || !('id' in message)) return undefined;
  const schema = requestSchemas.get(message.method);
  if (!schema) return undefined;
  const checked = schema['~standard'].validate(message);
  if (!checked.issues) return undefined;
  const issue = checked.issues[0]!;
  const path = (issue.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment));
  const where = path.length > 0 ? path.join('.') : 'params';
  return `Invalid params for ${message.method}: ${where}: ${issue.message}`;
}
