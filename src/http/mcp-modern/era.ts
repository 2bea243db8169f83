import type { FastifyRequest } from 'fastify';
import { carriesEnvelope, namesModernRevision } from '../../mcp/era.js';

/**
 * Whether a POST to /mcp speaks the 2026-07-28 era: its MCP-Protocol-Version header names a
 * modern revision or its body carries the per-request `_meta` envelope. Everything else (an
 * `initialize`, a session's requests) is the 2025-11-25 era and keeps the sessionful path; the
 * SDK's own classification then decides the finer cases (mismatches are refused there).
 */
export function speaksModernEra(request: FastifyRequest): boolean {
  if (request.method !== 'POST') return false;
  const header = request.headers['mcp-protocol-version'];
  if (typeof header === 'string' && namesModernRevision(header)) return true;
  const body = request.body as { params?: unknown } | null | undefined;
  return typeof body === 'object' && body !== null && !Array.isArray(body) && carriesEnvelope(body.params);
}
