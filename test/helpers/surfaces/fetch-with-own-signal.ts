/**
 * `fetch` for the SDK's Streamable HTTP client transport. The transport passes one AbortSignal
 * (aborted when it closes) to every request, and Node's fetch adds an abort listener to it per
 * request that goes away only when that request is garbage collected: under load thousands pile
 * up on the one signal (MaxListenersExceededWarning) and the test process grows. Here each
 * request gets its own signal, linked to the transport's until its response body ends, so
 * closing the transport still cancels requests and streams in flight.
 */
export async function fetchWithOwnSignal(url: string | URL, init: RequestInit = {}): Promise<Response> {
  const shared = init.signal;
  if (!shared) return fetch(url, init);
  const own = new AbortController();
  const abort = () => own.abort(shared.reason);
  const unlink = () => shared.removeEventListener('abort', abort);
  if (shared.aborted) abort();
  else shared.addEventListener('abort', abort, { once: true });
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: own.signal });
  } catch (error) {
    unlink();
    throw error;
  }
  if (!response.body) {
    unlink();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          unlink();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        unlink();
        controller.error(error);
      }
    },
    cancel(reason) {
      unlink();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
