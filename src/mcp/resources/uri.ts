/**
 * The resource URIs this server answers: `redis://<kind>/<name>`, the name percent-encoded as one
 * path segment (encodeURIComponent), so that a key such as "a/b c" is `redis://key/a%2Fb%20c`.
 */
export const resourceKinds = ['key', 'session', 'queue', 'lock'] as const;
export type ResourceKind = (typeof resourceKinds)[number];

export interface ResourceAddress {
  kind: ResourceKind;
  /** The decoded name: a key, session id, queue or lock name, as the tools take it. */
  name: string;
}

export function resourceUri(kind: ResourceKind, name: string): string {
  return `redis://${kind}/${encodeURIComponent(name)}`;
}

const uriPattern = /^redis:\/\/(key|session|queue|lock)\/(.+)$/s;

/** The kind and name a URI addresses; undefined when it is not one of this server's URIs or is badly encoded. */
export function parseResourceUri(uri: string): ResourceAddress | undefined {
  const match = uriPattern.exec(uri);
  if (!match) return undefined;
  try {
    return { kind: match[1] as ResourceKind, name: decodeURIComponent(match[2]!) };
  } catch {
    // A lone "%" or an encoded byte sequence that is not UTF-8.
    return undefined;
  }
}
