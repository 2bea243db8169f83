import { hostname as machineName, networkInterfaces } from 'node:os';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import { refuse } from './errors.js';
import { isHealthRoute } from './surfaces.js';

export interface OriginOptions {
  /** The address the server binds to; with the loopback names it makes the default allowed hosts. */
  host: string;
  /** Extra Host values: `name` (any port), `name:port`, or `*` (any). */
  allowedHosts?: readonly string[];
  /** Extra browser origins: `scheme://host[:port]`, or `*` (any). */
  allowedOrigins?: readonly string[];
}

export interface OriginPolicy {
  hostAllowed(host: string | undefined): boolean;
  originAllowed(origin: string): boolean;
}

const loopbackNames = ['localhost', '127.0.0.1', '[::1]'];
const wildcardHosts = new Set(['', '0.0.0.0', '::', '[::]']);

/** `name[:port]` as a URL reads it (lower case, IPv6 in brackets, trailing dot dropped), or undefined. */
function parseHost(text: string): { name: string; port: string } | undefined {
  // Only what a Host header may hold: no userinfo, path or spaces for the URL parser to reinterpret.
  if (!/^[a-z0-9.\-_:[\]]+$/i.test(text)) return undefined;
  try {
    const url = new URL(`http://${text}`);
    return { name: url.hostname.replace(/\.$/, ''), port: url.port };
  } catch {
    return undefined;
  }
}

function bracketed(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** The names a client on this machine or the network may use to reach the bound address. */
function defaultHostNames(host: string): string[] {
  const names = [...loopbackNames];
  if (!wildcardHosts.has(host)) {
    names.push(bracketed(host));
    return names;
  }
  // Bound to every interface: each interface address, and the machine's name, are ways in too.
  names.push(machineName());
  for (const list of Object.values(networkInterfaces())) for (const entry of list ?? []) names.push(bracketed(entry.address));
  return names;
}

/**
 * DNS-rebinding and cross-site protection. A page on evil.example whose name is made to resolve
 * to this machine sends `Host: evil.example`; a page elsewhere that talks to us sends its own
 * `Origin`. Both are refused unless they name this server (loopback or the bound address, any
 * port, so a port mapped by Docker still works) or were allowed explicitly.
 */
export function originPolicy(options: OriginOptions): OriginPolicy {
  const names = new Set<string>();
  const exact = new Set<string>();
  let anyHost = false;
  for (const entry of [...defaultHostNames(options.host), ...(options.allowedHosts ?? [])]) {
    if (entry === '*') {
      anyHost = true;
      continue;
    }
    const parsed = parseHost(entry.trim());
    if (!parsed) continue;
    if (parsed.port) exact.add(`${parsed.name}:${parsed.port}`);
    else names.add(parsed.name);
  }
  const origins = new Set<string>();
  let anyOrigin = false;
  for (const entry of options.allowedOrigins ?? []) {
    if (entry === '*') anyOrigin = true;
    else {
      try {
        origins.add(new URL(entry.trim()).origin);
      } catch {
        // An entry that is not an origin can match nothing.
      }
    }
  }
  const hostAllowed = (host: string | undefined): boolean => {
    if (anyHost) return true;
    if (!host) return false;
    const parsed = parseHost(host);
    return !!parsed && (names.has(parsed.name) || exact.has(`${parsed.name}:${parsed.port}`));
  };
  const knownHost = remembered(hostAllowed);
  return {
    hostAllowed: (host) => (host === undefined ? hostAllowed(host) : knownHost(host)),
    originAllowed: remembered((origin: string): boolean => {
      if (anyOrigin) return true;
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        return false; // "null" (sandboxed frames, file://) and anything unparseable
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
      // Configured origins, and pages of this server itself (e.g. /docs) under an allowed name.
      return origins.has(url.origin) || hostAllowed(url.host);
    }),
  };
}

/** Answers remembered per header value, at most this many (then forgotten all at once). */
const rememberedAnswers = 256;

/**
 * A check that remembers its answers: clients send the same Host (and Origin) on every request,
 * and parsing one with the URL parser costs more than the rest of the check. The memory is
 * bounded, so a client sending ever-new values only makes its own requests pay for the parse.
 */
function remembered(check: (value: string) => boolean): (value: string) => boolean {
  const answers = new Map<string, boolean>();
  return (value) => {
    let answer = answers.get(value);
    if (answer === undefined) {
      answer = check(value);
      if (answers.size >= rememberedAnswers) answers.clear();
      answers.set(value, answer);
    }
    return answer;
  };
}

function shown(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}...` : value;
}

/** Answers 403 FORBIDDEN (a refused handshake for /ws) to a foreign Host or Origin, on every route but /health. */
async function originPlugin(app: FastifyInstance, options: OriginOptions): Promise<void> {
  const policy = originPolicy(options);
  // A callback hook, not an async one: it runs on every request and almost always passes, and an
  // async hook costs a promise and a microtask hop before the body is read.
  app.addHook('onRequest', (request, reply, done) => {
    if (isHealthRoute(request)) return done();
    const host = request.headers.host;
    if (!policy.hostAllowed(host)) {
      request.log.warn({ host: host && shown(host) }, 'refused a request for a foreign Host');
      const message = host
        ? `Host ${shown(host)} is not allowed here; add it with --allowed-hosts if this server is reached by that name.`
        : 'A Host header is required.';
      // A sent reply ends the hook chain; done() is not called.
      refuse(request, reply, new AppError('FORBIDDEN', message, { field: 'Host' }));
      return;
    }
    const origin = request.headers.origin;
    // No Origin: not a browser (or a same-origin GET); nothing cross-site to stop.
    if (origin !== undefined && !policy.originAllowed(origin)) {
      request.log.warn({ origin: shown(origin) }, 'refused a request from a foreign Origin');
      const message = `Origin ${shown(origin)} is not allowed here; add it with --allowed-origins to let pages from it connect.`;
      refuse(request, reply, new AppError('FORBIDDEN', message, { field: 'Origin' }));
      return;
    }
    done();
  });
}

export default fp(originPlugin, { name: 'origin-check', fastify: '5.x', dependencies: ['error-envelope'] });
