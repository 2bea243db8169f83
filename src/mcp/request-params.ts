import { specTypeSchemas, type JSONRPCMessage, type StandardSchemaV1Sync } from '@modelcontextprotocol/server';

/**
 * The methods whose params are checked before a request reaches the SDK, with the spec type of
 * their request, whose schema the SDK publishes: a request that does not fit is answered -32602
 * Invalid params on every surface, in one readable line that names the field.
 */
const requestTypes: Record<string, keyof typeof specTypeSchemas> = {
  initialize: 'InitializeRequest',
  ping: 'PingRequest',
  'tools/list': 'ListToolsRequest',
  'tools/call': 'CallToolRequest',
  'resources/list': 'ListResourcesRequest',
  'resources/templates/list': 'ListResourceTemplatesRequest',
  'resources/read': 'ReadResourceRequest',
  'resources/subscribe': 'SubscribeRequest',
  'resources/unsubscribe': 'UnsubscribeRequest',
  'prompts/list': 'ListPromptsRequest',
  'prompts/get': 'GetPromptRequest',
  'completion/complete': 'CompleteRequest',
};

/** Why a request's params do not fit its method, or undefined when they do (or the method is not one checked here). */
export function invalidParams(message: JSONRPCMessage): string | undefined {
  if (!('method' in message) || !('id' in message)) return undefined;
  const type = Object.hasOwn(requestTypes, message.method) ? requestTypes[message.method] : undefined;
  if (!type) return undefined;
  const checked = (specTypeSchemas[type] as StandardSchemaV1Sync<unknown>)['~standard'].validate(message);
  if (!checked.issues) return undefined;
  const issue = checked.issues[0]!;
  const path = (issue.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment));
  const where = path.length > 0 ? path.join('.') : 'params';
  return `Invalid params for ${message.method}: ${where}: ${issue.message}`;
}
