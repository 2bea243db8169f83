import { ProtocolErrorCode, specTypeSchemas, type JSONRPCMessage, type JSONRPCRequest, type RequestId } from '@modelcontextprotocol/server';

/**
 * Reads a parsed JSON value as one JSON-RPC message, or undefined when it is not one.
 *
 * The SDK's JSONRPCMessage schema is a zod union of four strict object schemas: parsing a
 * message with it costs more than the rest of a simple tool call. The message every call
 * consists of, a tools/call request holding a name and an arguments object, is recognised
 * here by hand instead; it is exactly a shape that schema accepts, and that its parse would
 * return unchanged (the arguments object is passed on as the same reference either way; the
 * tool's own schema checks it later). Everything else goes through the schema as before.
 */
export function readMessage(value: unknown): JSONRPCMessage | undefined {
  if (isToolCallRequest(value)) return value;
  const checked = specTypeSchemas.JSONRPCMessage['~standard'].validate(value);
  return checked.issues ? undefined : checked.value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON-RPC code answered for a request its connection or session closed under (-32000, the 2025 SDKs' ConnectionClosed). */
export const connectionClosedCode = -32000;

/** Where a tools/call carries its idempotency key: `params._meta.idempotency_key`. */
export const idempotencyMetaKey = 'idempotency_key';

/** A `_meta` holding nothing but an idempotency key (of any JSON type: the runner checks it). */
export function onlyIdempotencyKey(meta: unknown): boolean {
  if (!isObject(meta)) return false;
  for (const key in meta) if (key !== idempotencyMetaKey) return false;
  return true;
}

/**
 * `{"jsonrpc":"2.0","id":<string or safe integer>,"method":"tools/call","params":{"name":<string>,"arguments":<object>}}`,
 * with `arguments` optional, `params._meta` allowed when it holds only an idempotency key, and
 * no other member anywhere at the top two levels.
 */
export function isToolCallRequest(value: unknown): value is JSONRPCRequest {
  if (!isObject(value) || value.jsonrpc !== '2.0' || value.method !== 'tools/call') return false;
  const id = value.id;
  if (typeof id === 'string' ? id.length > maxEchoedLength : !(typeof id === 'number' && Number.isSafeInteger(id))) return false;
  const params = value.params;
  if (!isObject(params) || typeof params.name !== 'string') return false;
  const args = params.arguments;
  if (args !== undefined && !isObject(args)) return false;
  // Own members only (JSON.parse makes "__proto__" an own member, and it is refused here too).
  for (const key in value) if (key !== 'jsonrpc' && key !== 'id' && key !== 'method' && key !== 'params') return false;
  for (const key in params) {
    if (key === 'name' || key === 'arguments') continue;
    if (key !== '_meta' || !onlyIdempotencyKey(params._meta)) return false;
  }
  return true;
}

/** The answer to a message that cannot be read: JSON-RPC 2.0 says id null when its id is unknown. */
export interface JSONRPCErrorAnswer {
  jsonrpc: '2.0';
  id: RequestId | null;
  error: { code: number; message: string };
}

export function errorAnswer(id: RequestId | null, code: number, message: string): JSONRPCErrorAnswer {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** One frame (a stdio line, a WebSocket text frame) read: the message, or the error to answer it with. */
export type Frame = { message: JSONRPCMessage; error?: undefined } | { message?: undefined; error: JSONRPCErrorAnswer };

/**
 * Reads the text of one frame as JSON-RPC 2.0 asks every transport to: text that is not JSON is a
 * -32700 Parse error (id null); JSON that is not one message (a batch, a bare value, a request
 * with a wrong member) is a -32600 Invalid Request, with the request's id when it has a usable one.
 */
export function readFrame(text: string): Frame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { error: errorAnswer(null, ProtocolErrorCode.ParseError, `Parse error: ${(error as Error).message}`) };
  }
  if (Array.isArray(parsed)) return { error: errorAnswer(null, ProtocolErrorCode.InvalidRequest, 'Invalid Request: batches are not supported.') };
  return readParsed(parsed);
}

/**
 * The longest request id (and progress token) accepted, in characters. Every answer carries its
 * request's id, and every progress notification its token: a server that took ids of any length
 * would hold, send and (over Streamable HTTP) store again whatever a client chose to send it.
 */
export const maxEchoedLength = 256;

/** The -32600 for a request whose id or progress token is longer than maxEchoedLength, or undefined. */
function overlongEcho(value: unknown): JSONRPCErrorAnswer | undefined {
  if (!isObject(value) || typeof value.method !== 'string') return undefined;
  const id = value.id;
  if (typeof id === 'string' && id.length > maxEchoedLength) {
    return errorAnswer(null, ProtocolErrorCode.InvalidRequest, `Invalid Request: a request id may hold at most ${maxEchoedLength} characters.`);
  }
  const meta = isObject(value.params) ? value.params._meta : undefined;
  const token = isObject(meta) ? meta.progressToken : undefined;
  if (typeof token === 'string' && token.length > maxEchoedLength) {
    return errorAnswer(
      requestIdOf(value),
      ProtocolErrorCode.InvalidRequest,
      `Invalid Request: a progress token may hold at most ${maxEchoedLength} characters.`,
    );
  }
  return undefined;
}

/** readFrame for a value already parsed from JSON (an HTTP body): one message, or the -32600 to answer. */
export function readParsed(value: unknown): Frame {
  const overlong = overlongEcho(value);
  if (overlong) return { error: overlong };
  const message = readMessage(value);
  if (message) return { message };
  return { error: errorAnswer(requestIdOf(value), ProtocolErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response.') };
}

/** The id of a request that failed validation, when it has a usable one (JSON-RPC: else null). */
export function requestIdOf(value: unknown): RequestId | null {
  if (!isObject(value)) return null;
  const id = value.id;
  if ((typeof id === 'string' && id.length <= maxEchoedLength) || (typeof id === 'number' && Number.isFinite(id))) return id;
  return null;
}
