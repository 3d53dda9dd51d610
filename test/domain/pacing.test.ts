import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RollingWindowPacer, type PacePriority, type PacerClock } from '../../src/crm/pacing';

/**
 * The rate-limit pacer on a clock the test moves: no real time passes. (It lives in src/crm, but is
 * pure logic over an injected clock, so it runs with the fast tier.)
 */
class ManualClock implements PacerClock {
  private t = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => void (timer.live = false);
  }

  /** Moves time on by `ms`, firing the timers due on the way, each at its own time. */
  async advance(ms: number): Promise<void> {
    await settle();
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      due.live = false;
      due.fn();
      await settle();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => x.live);
    await settle();
  }
}

/** Lets granted acquires run their continuations. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** A pacer and a log of the order its requests were let through, with the time of each. */
function setup(max: number, windowMs: number, marginMs = 0) {
  const clock = new ManualClock();
  const pacer = new RollingWindowPacer(max, windowMs, marginMs, clock);
  const granted: { name: string; at: number }[] = [];
  const request = (name: string, priority?: PacePriority) =>
    void pacer.acquire(priority).then(() => granted.push({ name, at: clock.now() }));
  return { clock, pacer, granted, request, names: () => granted.map((g) => g.name) };
}

describe('rolling-window pacer', () => {
  it('lets `max` requests through per window, the next as the oldest leaves it (plus the margin)', async () => {
    const { clock, granted, request } = setup(2, 1_000, 50);
    for (const n of ['a', 'b', 'c', 'd', 'e']) request(n);
    await settle();
    assert.deepEqual(granted, [
      { name: 'a', at: 0 },
      { name: 'b', at: 0 },
    ]);
    await clock.advance(1_049);
    assert.equal(granted.length, 2, 'the margin holds the third back');
    await clock.advance(1);
    await clock.advance(1_050);
    assert.deepEqual(granted.slice(2), [
      { name: 'c', at: 1_050 },
      { name: 'd', at: 1_050 },
      { name: 'e', at: 2_100 },
    ]);
  });

  it('serves a waiting push before the pulls queued ahead of it, in order within each class', async () => {
    const { clock, request, names } = setup(1, 100);
    request('pull-1');
    request('pull-2');
    request('pull-3');
    await settle();
    request('push-1', 'push');
    request('push-2', 'push');
    await settle();
    assert.deepEqual(names(), ['pull-1']);
    await clock.advance(100);
    assert.deepEqual(names(), ['pull-1', 'push-1']);
    request('pull-4');
    request('push-3', 'push');
    await clock.advance(300);
    assert.deepEqual(names(), ['pull-1', 'push-1', 'push-2', 'push-3', 'pull-2']);
    await clock.advance(200);
    assert.deepEqual(names(), ['pull-1', 'push-1', 'push-2', 'push-3', 'pull-2', 'pull-3', 'pull-4']);
  });

  it('a push arriving while the window is full takes the very next slot', async () => {
    const { clock, request, granted } = setup(3, 1_000);
    for (let i = 0; i < 10; i++) request(`pull-${i}`);
    await clock.advance(400);
    request('push', 'push');
    await clock.advance(600);
    assert.deepEqual(
      granted.filter((g) => g.at === 1_000).map((g) => g.name),
      ['push', 'pull-3', 'pull-4'],
    );
  });

  it('keeps pulls going when no push waits, and pushes go at once when the window has room', async () => {
    const { clock, request, granted, pacer } = setup(2, 100);
    request('push', 'push');
    await settle();
    assert.deepEqual(granted, [{ name: 'push', at: 0 }]);
    for (let i = 0; i < 5; i++) request(`pull-${i}`);
    await clock.advance(250);
    assert.deepEqual(
      granted.map((g) => g.at),
      [0, 0, 100, 100, 200, 200],
    );
    assert.deepEqual(pacer.waiting, { push: 0, pull: 0 });
    assert.equal(pacer.waitedMs, 100 + 100 + 200 + 200);
  });

  it('backOff holds every request, pushes included, until it ends', async () => {
    const { clock, pacer, request, names } = setup(10, 1_000);
    pacer.backOff(500);
    request('pull', 'pull');
    request('push', 'push');
    await clock.advance(499);
    assert.deepEqual(names(), []);
    await clock.advance(1);
    assert.deepEqual(names(), ['push', 'pull']);
  });

  it('a learned higher limit frees the waiting requests at once; a lower one holds them back', async () => {
    const { clock, pacer, request, granted } = setup(1, 10_000);
    request('a');
    request('b');
    request('c');
    await clock.advance(2_000);
    assert.equal(granted.length, 1);
    pacer.learn(3, 10_000);
    await settle();
    assert.deepEqual(granted, [
      { name: 'a', at: 0 },
      { name: 'b', at: 2_000 },
      { name: 'c', at: 2_000 },
    ]);
    assert.deepEqual(pacer.limit, { max: 3, windowMs: 10_000 });

    pacer.learn(1, 10_000);
    await clock.advance(3_000);
    request('d');
    await clock.advance(6_999);
    assert.equal(granted.length, 3, 'one allowed per window: d waits for all three to leave it');
    await clock.advance(1);
    assert.deepEqual(granted[3], { name: 'd', at: 12_000 });
  });
});

describe('rolling-window pacer: abandoned and suspended requests', () => {
  it('takes an aborted waiter out of the queue: it rejects with the reason and uses no slot', async () => {
    const { clock, pacer, request, names } = setup(1, 100);
    request('first');
    const controller = new AbortController();
    const abandoned = pacer.acquire('pull', controller.signal);
    request('next');
    await settle();
    controller.abort(new Error('attempt cancelled'));
    await assert.rejects(abandoned, /attempt cancelled/);
    await clock.advance(100);
    assert.deepEqual(names(), ['first', 'next'], 'the slot the abandoned request waited for went to the next');
    assert.deepEqual(pacer.waiting, { push: 0, pull: 0 });
  });

  it('a suspension refuses waiting and new requests at once with its cause, until it ends', async () => {
    const { clock, pacer, request, names } = setup(1, 100);
    request('first');
    const waiting = pacer.acquire('pull');
    await settle();
    pacer.suspend(clock.now() + 3_600_000, (ms) => new Error(`daily limit, ${ms} ms left`));
    await assert.rejects(waiting, /daily limit, 3600000 ms left/);
    await clock.advance(1_000);
    await assert.rejects(pacer.acquire('push'), /daily limit, 3599000 ms left/);
    await clock.advance(3_599_000);
    request('after');
    await clock.advance(0);
    assert.deepEqual(names(), ['first', 'after']);
  });
});
