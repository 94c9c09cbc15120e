import { describe, expect, it } from 'vitest';
import { FairScheduler, type FrameWorker } from '../../src/server/fair-scheduler.js';

/** A worker with `frames` to handle that queues itself again while some are left. */
function worker(scheduler: FairScheduler, name: string, frames: number, log: string[]): FrameWorker & { left: number } {
  const self = {
    left: frames,
    work(quota: number): number {
      const done = Math.min(quota, self.left);
      self.left -= done;
      log.push(`${name}${done}`);
      if (self.left > 0) scheduler.schedule(self);
      return done;
    },
  };
  return self;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FairScheduler', () => {
  it('serves queued connections in rounds of a quantum each, a bounded number of frames per turn', async () => {
    const scheduler = new FairScheduler(10, 3);
    const log: string[] = [];
    scheduler.schedule(worker(scheduler, 'a', 100, log));
    scheduler.schedule(worker(scheduler, 'b', 4, log));
    await turn();
    expect(log).toEqual(['a3', 'b3', 'a3', 'b1']);
    log.length = 0;
    await turn();
    expect(log).toEqual(['a3', 'a3', 'a3', 'a1']);
  });

  it('lets timers run between turns, however much work is queued', async () => {
    const scheduler = new FairScheduler(64, 16);
    const flood = worker(scheduler, 'f', 1_000_000, []);
    scheduler.schedule(flood);
    const leftWhenTimerRan = await new Promise<number>((resolve) => setTimeout(() => resolve(flood.left), 0));
    expect(leftWhenTimerRan).toBeGreaterThan(0);
    scheduler.cancel(flood);
  });

  it('lets a frame be handled where it arrived only while nobody waits and the turn has budget', async () => {
    const scheduler = new FairScheduler(2, 1);
    expect(scheduler.takeInline()).toBe(true);
    expect(scheduler.takeInline()).toBe(true);
    expect(scheduler.takeInline()).toBe(false);
    const log: string[] = [];
    scheduler.schedule(worker(scheduler, 'w', 3, log));
    await turn();
    // The budget is new, but a worker still waits: newcomers queue behind it.
    expect(scheduler.takeInline()).toBe(false);
    await turn();
    await turn();
    expect(log).toEqual(['w1', 'w1', 'w1']);
    expect(scheduler.takeInline()).toBe(true);
  });

  it('ends a round even if a worker handles nothing', async () => {
    const scheduler = new FairScheduler(4, 4);
    let runs = 0;
    const idle: FrameWorker = {
      work: () => {
        runs += 1;
        if (runs < 100) scheduler.schedule(idle);
        return 0;
      },
    };
    scheduler.schedule(idle);
    await turn();
    expect(runs).toBe(4);
    scheduler.cancel(idle);
  });
});
