import { describe, expect, it } from 'vitest';
import { addressCaller, CallerShare, credentialCaller, processCaller } from '../../src/tools/caller-shares.js';

describe("a client's share", () => {
  it('refuses beyond the share with SERVER_BUSY naming the option, and gives back once per take', () => {
    const share = new CallerShare('subscriptions', 2, '--max-subscriptions-per-client');
    const first = share.take('credential:a');
    share.take('credential:a');
    expect(() => share.take('credential:a')).toThrow(
      expect.objectContaining({ code: 'SERVER_BUSY', message: expect.stringContaining('--max-subscriptions-per-client, 2 per client') }),
    );
    expect(share.take('credential:b')).toBeTypeOf('function');
    first();
    first();
    expect(share.heldBy('credential:a')).toBe(1);
    share.take('credential:a');
    // The stdio client is the server's only client: its share is everything.
    for (let i = 0; i < 10; i++) share.take(processCaller);
    expect(share.heldBy(processCaller)).toBe(0);
  });
});

describe('callers', () => {
  it('name a credential by its digest and a client by its address, never alike', () => {
    expect(credentialCaller(Buffer.from([0xab, 0x01]))).toBe(credentialCaller('ab01'));
    expect(credentialCaller('ab01')).not.toBe(addressCaller('ab01'));
    expect(addressCaller('127.0.0.1')).not.toBe(processCaller);
  });
});
