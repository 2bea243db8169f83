import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';

/**
 * Two adjustments to the SDK's Streamable HTTP transport, reaching its private parts (SDK 2.4),
 * each left undone if an SDK upgrade renamed them. Rebuilding a session's transport on another
 * instance is revive-transport.ts.
 */

/** What answerAsJson reaches in the SDK transport (private fields of SDK 2.4). */
interface JsonSwitch {
  _enableJsonResponse: boolean;
  _streamMapping?: Map<string, { resolveJson?: unknown }>;
}

/**
 * Has the SDK transport answer one POST as JSON: the SDK answers POSTs as JSON or as event streams
 * for a whole transport, chosen by its `_enableJsonResponse` (SDK 2.4).
 * Only for a transport nothing else can reach meanwhile (a new session's, during its initialize).
 * In JSON mode the SDK never forgets the answered request's entry, whose closure holds the whole
 * parsed body: it is removed here. If an SDK upgrade renamed these fields, the POST is answered as
 * an event stream as before (test/e2e/http-mcp.test.ts then fails).
 */
export async function answerAsJson<T>(transport: WebStandardStreamableHTTPServerTransport, handle: () => Promise<T>): Promise<T> {
  const inner = transport as unknown as Partial<JsonSwitch>;
  if (typeof inner._enableJsonResponse !== 'boolean') return handle();
  inner._enableJsonResponse = true;
  try {
    return await handle();
  } finally {
    inner._enableJsonResponse = false;
    const streams = inner._streamMapping;
    if (streams instanceof Map) for (const [streamId, stream] of streams) if (stream.resolveJson) streams.delete(streamId);
  }
}

const primingName = new TextEncoder().encode('event: priming\n');

/**
 * Names the priming event the SDK transport writes first on a POST's event stream (an id and an
 * empty data field), as event-stream.ts names its own: an SSE client never dispatches an event
 * with empty data, whatever its type, so nothing changes for it; clients that hand every unnamed
 * event to a JSON parser skip a named one instead of reporting a parse error. The SDK's
 * `writePrimingEvent(controller, encoder, streamId, protocolVersion)` (SDK 2.4) enqueues the event
 * as one chunk; the name is enqueued just before it. Left as it is if an SDK upgrade renamed it.
 */
export function namePrimingEvents(transport: WebStandardStreamableHTTPServerTransport): void {
  type Writer = (controller: ReadableStreamDefaultController<Uint8Array>, ...rest: unknown[]) => Promise<void>;
  const inner = transport as unknown as { writePrimingEvent?: Writer };
  const write = inner.writePrimingEvent;
  if (typeof write !== 'function') return;
  inner.writePrimingEvent = (controller, ...rest) => {
    const named = {
      enqueue(chunk: Uint8Array) {
        controller.enqueue(primingName);
        controller.enqueue(chunk);
      },
    } as ReadableStreamDefaultController<Uint8Array>;
    return write.call(inner, named, ...rest);
  };
}
