import { describe, expect, it } from 'vitest';
import { SharedDeadline } from '../../src/tools/deadline.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('one deadline for many calls', () => {
  it('passes answers through, fails overdue calls in the order they started, and forgets finished ones', async () => {
    const deadline = new SharedDeadline(60, () => new Error('Command timed out'));
    const quick = deadline.bound(
      sleep(5).then(() => 'quick'),
      performance.now(),
    );
    const failing = expect(deadline.bound(Promise.reject(new Error('refused')), performance.now())).rejects.toThrow('refused');
    const never = new Promise<string>(() => undefined);
    const settled: string[] = [];
    const started = performance.now();
    const first = deadline
      .bound(never, started)
      .catch((error: Error) => settled.push(`first: ${error.message} after ${Math.round(performance.now() - started)}`));
    await sleep(20);
    const second = deadline
      .bound(never, performance.now())
      .catch((error: Error) => settled.push(`second: ${error.message} after ${Math.round(performance.now() - started)}`));
    await expect(quick).resolves.toBe('quick');
    await failing;
    await Promise.all([first, second]);
    // In the order they started; the second started 20 ms later and expires that much later, by the re-armed timer.
    expect(settled.map((line) => line.replace(/ after \d+/, ''))).toEqual(['first: Command timed out', 'second: Command timed out']);
    const [firstMs, secondMs] = settled.map((line) => Number(/after (\d+)/.exec(line)![1]));
    expect(firstMs).toBeGreaterThanOrEqual(59);
    expect(secondMs! - firstMs!).toBeGreaterThanOrEqual(15);
    expect(deadline.size).toBe(0);
  });

  it('ignores an answer that arrives after the deadline', async () => {
    const deadline = new SharedDeadline(10, () => new Error('late'));
    const late = deadline.bound(
      sleep(30).then(() => 'too late'),
      performance.now(),
    );
    await expect(late).rejects.toThrow('late');
    await sleep(30);
    expect(deadline.size).toBe(0);
  });

  it('spares overdue calls while the reprieve says their work is progressing, and fails them once it stops', async () => {
    let progressing = true;
    const deadline = new SharedDeadline(
      20,
      () => new Error('Command timed out'),
      () => progressing,
    );
    const started = performance.now();
    const waited = deadline
      .bound(new Promise<string>(() => undefined), started)
      .catch((error: Error) => ({ error: error.message, ms: performance.now() - started }));
    await sleep(80);
    expect(deadline.size).toBe(1);
    // Failed only once the work stopped progressing (a timer may fire a fraction of a millisecond
    // before performance.now() says 80 ms have passed, so the moment is read, not assumed).
    const stoppedAt = performance.now() - started;
    progressing = false;
    const result = await waited;
    expect(result).toMatchObject({ error: 'Command timed out' });
    expect((result as { ms: number }).ms).toBeGreaterThanOrEqual(stoppedAt);
    expect(deadline.size).toBe(0);
  });
});
