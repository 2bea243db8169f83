import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventBuffer, type Buffered } from '../../src/feeds/event-buffer.js';
import { jsonBytes } from '../../src/tools/budget.js';
import { hasNeededFlags, mergedFlags } from '../../src/feeds/keyspace-events.js';
import { targetsOf } from '../../src/feeds/targets.js';
import { KeySpace } from '../../src/redis/keyspace.js';

const message = (n: number) => ({ type: 'message' as const, channel: 'c', message: n, at: '2026-01-01T00:00:00.000Z' });

describe('EventBuffer', () => {
  it('behaves like a plain list of entries under any pushes and takes, with events shared between buffers', () => {
    const op = fc.oneof(
      fc.record({ push: fc.string({ maxLength: 40 }) }),
      fc.record({ take: fc.integer({ min: 1, max: 5 }), budget: fc.integer({ min: 1, max: 400 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 60, max: 300 }), fc.array(op, { maxLength: 60 }), (maxEvents, maxBytes, ops) => {
        // Two buffers receive the same event objects, as subscriptions of one channel do.
        const buffers = [new EventBuffer(maxEvents, maxBytes), new EventBuffer(maxEvents, maxBytes)];
        const models = buffers.map(() => ({ items: [] as Buffered[], nextSeq: 1, dropped: 0 }));
        for (const step of ops) {
          if ('push' in step) {
            const event = { type: 'message' as const, channel: 'c', message: step.push, at: '2026-01-01T00:00:00.000Z' };
            buffers.forEach((buffer) => buffer.push(event));
            for (const model of models) {
              const entry = { seq: model.nextSeq++, event, bytes: jsonBytes(event) };
              const held = () => model.items.reduce((sum, item) => sum + item.bytes, 0);
              while (model.items.length > 0 && (model.items.length + 1 > maxEvents || held() + entry.bytes > maxBytes)) {
                model.items.shift();
                model.dropped++;
              }
              model.items.push(entry);
            }
          } else {
            buffers.forEach((buffer, i) => {
              const model = models[i]!;
              const expected: Buffered[] = [];
              let used = 0;
              while (expected.length < step.take && model.items.length > 0) {
                used += model.items[0]!.bytes + 1;
                if (used > step.budget && expected.length > 0) break;
                expected.push(model.items.shift()!);
              }
              expect(buffer.take(step.take, step.budget)).toEqual({ events: expected, dropped: model.dropped });
              model.dropped = 0;
            });
          }
          buffers.forEach((buffer, i) => expect(buffer.length).toBe(models[i]!.items.length));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('drops the oldest first when full, and counts each drop once', () => {
    const buffer = new EventBuffer(3, 1024 * 1024);
    for (let n = 1; n <= 10; n++) buffer.push(message(n));
    const first = buffer.take(2, 1024 * 1024);
    expect(first.events.map((e) => [e.seq, (e.event as { message: number }).message])).toEqual([
      [8, 8],
      [9, 9],
    ]);
    expect(first.dropped).toBe(7);
    const second = buffer.take(10, 1024 * 1024);
    expect(second.events.map((e) => e.seq)).toEqual([10]);
    expect(second.dropped).toBe(0);
    expect(buffer.droppedTotal).toBe(7);
  });

  it('bounds bytes too, always keeping the newest event', () => {
    const big = { ...message(0), message: 'x'.repeat(500) };
    const buffer = new EventBuffer(100, 1000);
    for (let i = 0; i < 5; i++) buffer.push(big);
    expect(buffer.length).toBe(1);
    expect(buffer.droppedTotal).toBe(4);
    const alone = new EventBuffer(100, 10);
    alone.push(big);
    expect(alone.length).toBe(1);
  });

  it('answers within a byte budget, but at least one event', () => {
    const buffer = new EventBuffer(100, 1024 * 1024);
    for (let n = 0; n < 10; n++) buffer.push({ ...message(n), message: 'y'.repeat(100) });
    expect(buffer.take(100, 10).events).toHaveLength(1);
    expect(buffer.take(100, 400).events).toHaveLength(2);
    expect(buffer.length).toBe(7);
  });
});

describe('keyspace notification flags', () => {
  it('adds K and A to what is set, never removing a class', () => {
    expect(mergedFlags('')).toBe('KA');
    expect(mergedFlags('Ex')).toBe('ExKA');
    expect(mergedFlags('AKE')).toBe('AKE');
    expect(hasNeededFlags('AKE')).toBe(true);
    expect(hasNeededFlags('Kg$')).toBe(false);
    expect(hasNeededFlags('AE')).toBe(false);
  });
});

describe('feed targets', () => {
  it('put channels, keys and patterns inside the prefix, patterns behind the escaped prefix', () => {
    const targets = targetsOf({ channels: ['c'], patterns: ['p*'], keys: ['k'], key_patterns: ['k*'] }, new KeySpace('t[1]*:'), 3);
    expect(targets.map((t) => `${t.command} ${t.name}`)).toEqual([
      'subscribe t[1]*:c',
      'psubscribe t\\[1\\]\\*:p*',
      'subscribe __keyspace@3__:t[1]*:k',
      'psubscribe __keyspace@3__:t\\[1\\]\\*:k*',
    ]);
  });
});
