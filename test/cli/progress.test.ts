/**
 * The CLI progress line: nothing for the first second, at most one repaint per second however
 * often it is updated, cleared at the end, and never drawn without a TTY or with --quiet.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/cli/progress';

function io(errIsTTY: boolean) {
  const writes: string[] = [];
  return { writes, io: { out: () => {}, err: (t: string) => void writes.push(t), env: {}, errIsTTY } };
}

describe('createProgress', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('draws nothing for an operation under a second', () => {
    const t = io(true);
    const p = createProgress(t.io);
    p.update('fast');
    vi.advanceTimersByTime(999);
    p.done('finished');
    vi.advanceTimersByTime(5_000);
    expect(t.writes).toEqual([]);
  });

  it('repaints at most once per second with the latest text, then clears the line', () => {
    const t = io(true);
    const p = createProgress(t.io);
    for (let ms = 0; ms < 3_500; ms += 10) {
      p.update(`step ${ms}`);
      vi.advanceTimersByTime(10);
    }
    expect(t.writes).toHaveLength(3);
    expect(t.writes[0]).toMatch(/^\r\x1b\[K. step 990 \(1s\)$/);
    expect(t.writes[2]).toMatch(/step 2990 \(3s\)$/);
    p.done('done: 3 items');
    expect(t.writes.slice(3)).toEqual(['\r\x1b[K', 'done: 3 items\n']);
    vi.advanceTimersByTime(5_000);
    expect(t.writes).toHaveLength(5);
  });

  it('is silent when stderr is not a TTY or with quiet', () => {
    for (const [tty, quiet] of [
      [false, false],
      [true, true],
    ] as const) {
      const t = io(tty);
      const p = createProgress(t.io, { quiet });
      p.update('x');
      vi.advanceTimersByTime(10_000);
      p.done('y');
      expect(t.writes).toEqual([]);
    }
  });
});
