import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StdioTransport } from '../../src/mcp/stdio-transport.js';

/**
 * The stdio line reader on its own: however the bytes are cut into chunks, the same messages
 * come out, a line over the limit is answered and skipped without taking its neighbours along,
 * and CRLF and blank lines are fine.
 */
async function feed(
  chunks: Buffer[],
  maxMessageBytes: number,
): Promise<{ messages: unknown[]; answers: { id: unknown; error?: { code: number; message: string } }[] }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const transport = new StdioTransport(stdin, stdout, { maxMessageBytes });
  const messages: unknown[] = [];
  transport.onmessage = (message) => messages.push(message);
  let written = '';
  stdout.on('data', (chunk: Buffer) => (written += chunk.toString()));
  await transport.start();
  for (const chunk of chunks) stdin.write(chunk);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  await transport.close();
  const answers = written
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { id: unknown; error?: { code: number; message: string } });
  return { messages, answers };
}

/** Cuts `bytes` at the given positions. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of sorted) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  pieces.push(bytes.subarray(start));
  return pieces.filter((piece) => piece.length > 0);
}

describe('stdio line reader', () => {
  const limit = 200;
  const request = (id: number, pad = '') => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping', params: { _meta: { pad } } });

  it('reads the same messages whatever the chunking, and answers each oversized line once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 400 }), crlf: fc.boolean(), blank: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (lines, points) => {
          let text = '';
          const expected: number[] = [];
          let oversized = 0;
          lines.forEach(({ size, crlf, blank }, id) => {
            const line = request(id, 'x'.repeat(size));
            if (Buffer.byteLength(line) > limit) oversized++;
            else expected.push(id);
            text += line + (crlf ? '\r\n' : '\n') + (blank ? '\n' : '');
          });
          const { messages, answers } = await feed(cut(Buffer.from(text), points), limit);
          expect(messages.map((m) => (m as { id: number }).id)).toEqual(expected);
          expect(answers).toHaveLength(oversized);
          for (const answer of answers) {
            expect(answer.id).toBeNull();
            expect(answer.error!.code).toBe(-32600);
            expect(answer.error!.message).toContain(`${limit} bytes`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a multi-byte character split across chunks intact', async () => {
    const line = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 'ü🙂', method: 'ping' })}\n`);
    const at = line.indexOf(Buffer.from('🙂')) + 2;
    const { messages } = await feed([line.subarray(0, at), line.subarray(at)], 1024);
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 'ü🙂', method: 'ping' }]);
  });

  it('accepts a line of exactly the limit and refuses one byte more', async () => {
    const base = request(1);
    const exact = request(1, 'x'.repeat(limit - Buffer.byteLength(base)));
    expect(Buffer.byteLength(exact)).toBe(limit);
    const over = request(2, 'x'.repeat(limit - Buffer.byteLength(base) + 1));
    const { messages, answers } = await feed([Buffer.from(`${exact}\n${over}\n`)], limit);
    expect(messages.map((m) => (m as { id: number }).id)).toEqual([1]);
    expect(answers).toHaveLength(1);
  });
});
