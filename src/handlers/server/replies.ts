import { reservedRoot } from '../../redis/keyspace.js';

/** Parsing of the text and map replies of the server diagnostics. */

/**
 * Text written as a number ("123", "-4", "1.5") becomes a number when nothing is lost; anything
 * else stays text, so "00000000" (a git sha) or an integer past 2^53 keeps its exact text.
 */
export function scalarOf(text: string): string | number {
  if (/^-?(0|[1-9]\d*)$/.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : text;
  }
  return /^-?(0|[1-9]\d*)\.\d+$/.test(text) ? Number(text) : text;
}

function define<T>(object: Record<string, T>, name: string, value: T): void {
  // Own properties even for a name like "__proto__".
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
}

/** INFO text as {section: {field: value}}, section names in lower case. */
export function parseInfo(text: string): [section: string, field: string, value: string | number][] {
  const fields: [string, string, string | number][] = [];
  let section = 'unknown';
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('# ')) section = line.slice(2).trim().toLowerCase();
    else if (line.includes(':')) {
      const at = line.indexOf(':');
      fields.push([section, line.slice(0, at), scalarOf(line.slice(at + 1))]);
    }
  }
  return fields;
}

export function groupInfo(fields: [string, string, string | number][]): Record<string, Record<string, string | number>> {
  const sections: Record<string, Record<string, string | number>> = {};
  for (const [section, field, value] of fields) {
    if (!Object.hasOwn(sections, section)) define(sections, section, {});
    define(sections[section]!, field, value);
  }
  return sections;
}

/** A flat map reply ([name, value, ...]) with nested maps, numbers parsed. */
export function parseStats(reply: unknown[]): Record<string, unknown> {
  const stats: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const value = reply[i + 1];
    define(stats, String(reply[i]), Array.isArray(value) ? parseStats(value) : typeof value === 'string' ? scalarOf(value) : (value ?? null));
  }
  return stats;
}

/** One CLIENT LIST line as its fields ("id=3 addr=... name= ..."); a name holds no spaces. */
export function parseClientLine(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of line.trim().split(' ')) {
    const at = part.indexOf('=');
    if (at > 0) define(fields, part.slice(0, at), part.slice(at + 1));
  }
  return fields;
}

const scripts = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

// Commands whose arguments hold credentials; Redis 7 redacts most of these itself, older ones may not.
const secretBearing = new Set(['auth', 'hello', 'migrate', 'acl', 'config']);

/** A slow log command with credentials redacted: for these commands only the name (and subcommand) stays. */
export function redactCommand(args: string[]): string[] {
  const name = args[0]?.toLowerCase() ?? '';
  // Scripts carry the primitives' secrets (lease tokens, receipts) as arguments, and any command
  // on the server's own state carries another client's traffic: only the name stays.
  if (scripts.has(name) || args.some((arg) => arg.startsWith(reservedRoot))) return [args[0]!, ...(args.length > 1 ? ['(redacted)'] : [])];
  if (!secretBearing.has(name)) return args;
  const kept = name === 'acl' || name === 'config' ? 2 : 1;
  return [...args.slice(0, kept), ...(args.length > kept ? ['(redacted)'] : [])];
}
