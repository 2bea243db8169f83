import { createMcpHandler, type AuthInfo } from '@modelcontextprotocol/server';
import { modernServers } from '../../mcp/modern/factory.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { jsonRpcErrorOf } from '../../mcp/resources/errors.js';
import { requestIdOf } from '../../mcp/jsonrpc.js';
import { narrowedRunner } from '../../tools/narrowing.js';
import type { ToolRunner } from '../../tools/runner.js';
import { callerOf } from '../caller.js';
import { requestNarrowing } from '../narrowing.js';
import { invalidMessage, rawRpcError, rpcError } from '../mcp-sessions/rpc-errors.js';
import { answerModernCall, directModernCall } from './direct-call.js';
import { ResourceListens, resourcesOfListen } from '../../mcp/modern/resource-listens.js';
import { sendWebResponse, toWebRequest } from '../web-exchange.js';
import { paramHeaderDeclarations, paramHeaderMismatch } from './param-headers.js';
import { listingFor } from '../../mcp/listing.js';
import { fixtureTools } from '../../conformance/catalog.js';

export interface ModernHttpOptions {
  runner: ToolRunner;
  /** Whether list results may be kept by shared caches: true when no credentials are asked for. */
  sharedCache: boolean;
  /** SSE keep-alive comment period on streamed answers and listen streams. */
  keepAliveMs: number;
  /** Most `subscriptions/listen` streams open on this instance. */
  maxListens: number;
  onerror?: (error: Error) => void;
}

/**
 * The 2026-07-28 era on /mcp: stateless, each request answered by a fresh v2 SDK server (the
 * SDK's createMcpHandler, strict: 2025 traffic never reaches it), so any instance answers any
 * request with no session and no affinity. `subscriptions/listen` streams hear resource changes
 * made through any instance (resource-listens.ts).
 */
export function modernHttp(options: ModernHttpOptions) {
  const { runner } = options;
  const runners = new WeakMap<Request, ToolRunner>();
  const servers = modernServers(runner, { sharedCache: options.sharedCache });
  const handler = createMcpHandler(
    // Each request's caller comes with it (authInfo, see http/caller.ts); 'process' is never used here.
    ({ requestInfo }) => servers((requestInfo && runners.get(requestInfo)) ?? runner, 'process'),
    { legacy: 'reject', keepAliveMs: options.keepAliveMs, maxSubscriptions: options.maxListens, ...(options.onerror ? { onerror: options.onerror } : {}) },
  );
  const listens = new ResourceListens(runner.context.feeds, handler.notify, runner.context.shares.resourceSubscriptions);
  // Tools whose parameters clients mirror into Mcp-Param-* headers (param-headers.ts).
  const paramHeaders = paramHeaderDeclarations([...listingFor(runner).result.tools, ...(runner.conformanceFixtures ? fixtureTools : [])]);

  /** Why a tools/call's Mcp-Param-* headers disagree with its body, if they do. */
  function paramHeadersRefused(request: FastifyRequest): string | undefined {
    const { method, params } = request.body as { method?: unknown; params?: { name?: unknown; arguments?: unknown } };
    const declared = method === 'tools/call' && typeof params?.name === 'string' ? paramHeaders.get(params.name) : undefined;
    return declared && paramHeaderMismatch(declared, params!.arguments, request.headers);
  }

  async function serve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // What every surface refuses before anything else (an over-long request id or progress token, a non-message).
    const invalid = invalidMessage(request.body);
    if (invalid) return void rpcError(reply, 400, invalid.error.code, invalid.error.message, invalid.id);
    let offered: ToolRunner;
    try {
      offered = narrowedRunner(runner, requestNarrowing(request));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return void rpcError(reply, 400, -32602, error.message, requestIdOf(request.body), { code: error.code, ...(error.details as object) });
    }
    const mismatch = paramHeadersRefused(request);
    if (mismatch) return void rpcError(reply, 400, -32020, `Header mismatch: ${mismatch}`, requestIdOf(request.body));
    const call = directModernCall(request, offered.enabled);
    if (call) return answerModernCall(call, request, reply, offered);
    let release: (() => Promise<void>) | undefined;
    if ((request.body as { method?: unknown }).method === 'subscriptions/listen') {
      try {
        release = await listens.hold(resourcesOfListen((request.body as { params?: unknown }).params, offered), callerOf(request));
      } catch (error) {
        const refusal = jsonRpcErrorOf(error);
        const status = refusal.data?.code === 'SERVER_BUSY' ? 503 : 400;
        return void rpcError(reply, status, refusal.code, refusal.message, requestIdOf(request.body), refusal.data);
      }
    }
    const { webRequest, abort } = toWebRequest(request);
    runners.set(webRequest, offered);
    reply.hijack();
    reply.raw.once('close', () => {
      abort();
      void release?.();
    });
    try {
      const response = await handler.fetch(webRequest, { parsedBody: request.body, authInfo: (request.raw as { auth?: AuthInfo }).auth });
      await sendWebResponse(response, reply);
    } catch (error) {
      options.onerror?.(error as Error);
      // The reply is hijacked: the error goes on the raw response (or the stream is cut, once it began).
      rawRpcError(reply.raw, 500, -32603, 'Internal error');
    }
  }

  return {
    serve,
    async close(): Promise<void> {
      await handler.close();
      await listens.close();
    },
  };
}
