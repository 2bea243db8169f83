import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { combineNarrowings, parseTools, parseToolsets, type Narrowing } from '../tools/narrowing.js';

/** The request headers that narrow what one HTTP client is offered (the names other MCP servers use). */
export const narrowingHeaders = ['X-MCP-Toolsets', 'X-MCP-Tools', 'X-MCP-Readonly'] as const;

/** The paths under a surface (/mcp, /ws) that narrow as the headers do, for clients that cannot set headers. */
export function narrowingPaths(base: string): string[] {
  return [`${base}/readonly`, `${base}/x/:toolset`, `${base}/x/:toolset/readonly`];
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

/** What the X-MCP-* headers ask for; undefined when none is sent. An unknown name or value is INVALID_PARAMS (400). */
export function headerNarrowing(request: FastifyRequest): Narrowing | undefined {
  const toolsets = header(request, 'X-MCP-Toolsets');
  const tools = header(request, 'X-MCP-Tools');
  const readOnly = header(request, 'X-MCP-Readonly')?.trim().toLowerCase();
  if (readOnly !== undefined && readOnly !== 'true' && readOnly !== 'false' && readOnly !== '') {
    throw new AppError('INVALID_PARAMS', 'The X-MCP-Readonly header must be "true" or "false".', { field: 'X-MCP-Readonly' });
  }
  if (toolsets === undefined && tools === undefined && readOnly !== 'true') return undefined;
  return {
    toolsets: toolsets === undefined ? undefined : { names: parseToolsets(toolsets, 'the X-MCP-Toolsets header'), from: 'the X-MCP-Toolsets header' },
    tools: tools === undefined ? undefined : { names: parseTools(tools, 'the X-MCP-Tools header'), from: 'the X-MCP-Tools header' },
    readOnly: readOnly === 'true' ? { from: 'the X-MCP-Readonly header' } : undefined,
  };
}

/** What the URL asks for (/mcp/readonly, /mcp/x/<toolset>[/readonly], the same under /ws); undefined for the plain path. */
export function urlNarrowing(request: FastifyRequest): Narrowing | undefined {
  const route = request.routeOptions.url ?? '';
  const toolset = (request.params as { toolset?: string } | undefined)?.toolset;
  const readOnly = route.endsWith('/readonly');
  if (toolset === undefined && !readOnly) return undefined;
  const path = route.replace(':toolset', toolset ?? '');
  return {
    toolsets: toolset === undefined ? undefined : { names: parseToolsets(toolset, `the URL ${path}`), from: `the URL ${path}` },
    readOnly: readOnly ? { from: `the URL ${path}` } : undefined,
  };
}

/** Everything the request asks to narrow (its URL and headers together), or undefined. */
export function requestNarrowing(request: FastifyRequest): Narrowing | undefined {
  return combineNarrowings(urlNarrowing(request), headerNarrowing(request));
}
