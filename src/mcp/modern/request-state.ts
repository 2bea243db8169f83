import { randomBytes } from 'node:crypto';
import { createRequestStateCodec, type RequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import type { RedisClient } from '../../redis/client.js';
import type { KeySpace } from '../../redis/keyspace.js';

/** How long a multi-round request's state stays good: a person answering a question. */
const stateTtlSeconds = 600;

/**
 * Seals the state a 2026-07-28 multi-round request carries between rounds (`requestState`), which
 * comes back from the client and is untrusted: HMAC-SHA256 under a secret every instance of the
 * deployment shares, bound to the request's method and caller, expiring after ten minutes. The
 * secret is made once, by whichever instance first needs it, and kept in the server's reserved
 * namespace in Redis (no tool can read it), so any instance verifies what any other minted.
 */
export class RequestStateSeal {
  private codec: Promise<RequestStateCodec> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
  ) {}

  mint(payload: unknown, ctx: ServerContext): Promise<string> {
    return this.sealer().then((codec) => codec.mint(payload, ctx));
  }

  /** The payload sealed in `state`; throws when it was altered, expired, or minted for another method or caller. */
  verify = (state: string, ctx: ServerContext): Promise<unknown> => this.sealer().then((codec) => codec.verify(state, ctx));

  private sealer(): Promise<RequestStateCodec> {
    this.codec ??= this.secret().then(
      (key) => createRequestStateCodec({ key, ttlSeconds: stateTtlSeconds, bind: (ctx) => `${ctx.mcpReq.method}\0${ctx.http?.authInfo?.clientId ?? ''}` }),
      (error: unknown) => {
        this.codec = undefined;
        throw error;
      },
    );
    return this.codec;
  }

  private async secret(): Promise<string> {
    const key = this.keys.reserved('request-state-secret');
    await this.redis.set(key, randomBytes(32).toString('base64url'), 'NX');
    const secret = await this.redis.get(key);
    if (!secret) throw new Error('The request-state secret could not be read from Redis.');
    return secret;
  }
}
