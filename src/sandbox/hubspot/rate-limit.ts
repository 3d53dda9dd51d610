import type { RateLimitConfig } from './state';

export type LimitVerdict =
  | { ok: true; headers: Record<string, string | number> }
  | { ok: false; policy: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY'; headers: Record<string, string | number> };

/**
 * HubSpot's limits per token: a rolling window (10 s), the search API's own per-second limit (search
 * is exempt from the ten-secondly one), and a daily count. Only accepted requests are counted.
 */
export class RateLimiter {
  private windows = new Map<string, number[]>();
  private searchWindows = new Map<string, number[]>();
  private daily = new Map<string, { day: string; count: number }>();
  throttled = 0;

  check(token: string, cfg: RateLimitConfig, isSearch: boolean, now = Date.now()): LimitVerdict {
    const day = new Date(now).toISOString().slice(0, 10);
    let d = this.daily.get(token);
    if (!d || d.day !== day) this.daily.set(token, (d = { day, count: 0 }));
    const dailyHeaders = {
      'X-HubSpot-RateLimit-Daily': cfg.dailyMax,
      'X-HubSpot-RateLimit-Daily-Remaining': Math.max(0, cfg.dailyMax - d.count - 1),
    };
    if (d.count >= cfg.dailyMax) return this.reject('DAILY', dailyHeaders);

    if (isSearch) {
      const w = prune(this.searchWindows, token, now, 1000);
      if (w.length >= cfg.searchPerSecond) return this.reject('SECONDLY', dailyHeaders);
      w.push(now);
      d.count++;
      return { ok: true, headers: dailyHeaders };
    }
    const w = prune(this.windows, token, now, cfg.windowMs);
    const headers = {
      ...dailyHeaders,
      'X-HubSpot-RateLimit-Interval-Milliseconds': cfg.windowMs,
      'X-HubSpot-RateLimit-Max': cfg.tenSecondMax,
      'X-HubSpot-RateLimit-Remaining': Math.max(0, cfg.tenSecondMax - w.length - 1),
    };
    if (w.length >= cfg.tenSecondMax)
      return this.reject('TEN_SECONDLY_ROLLING', { ...headers, 'X-HubSpot-RateLimit-Remaining': 0 });
    w.push(now);
    d.count++;
    return { ok: true, headers };
  }

  private reject(
    policy: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY',
    headers: Record<string, string | number>,
  ): LimitVerdict {
    this.throttled++;
    return { ok: false, policy, headers };
  }
}

/**
 * The most requests one portal sent in any rolling window, answered or refused: what a client's
 * pacing achieved (HubSpot counts only accepted calls, so the limiter alone cannot tell a client
 * that kept to the limit from one that bounced off it). Not part of HubSpot: for tests and the bench.
 */
export class BusiestWindow {
  private stamps: number[] = [];
  max = 0;

  add(now: number, windowMs: number): void {
    let drop = 0;
    while (drop < this.stamps.length && this.stamps[drop] <= now - windowMs) drop++;
    if (drop) this.stamps.splice(0, drop);
    this.stamps.push(now);
    this.max = Math.max(this.max, this.stamps.length);
  }
}

function prune(map: Map<string, number[]>, token: string, now: number, windowMs: number): number[] {
  let w = map.get(token);
  if (!w) map.set(token, (w = []));
  let drop = 0;
  while (drop < w.length && w[drop] <= now - windowMs) drop++;
  if (drop) w.splice(0, drop);
  return w;
}

/** The 429 bodies HubSpot sends, per policy (wire facts A4). */
export function rateLimitBody(
  policy: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY',
  correlationId: string,
  portalId: number,
) {
  if (policy === 'SECONDLY') {
    return {
      status: 'error',
      message: 'You have reached your secondly limit.',
      errorType: 'RATE_LIMIT',
      correlationId,
      policyName: 'SECONDLY',
    };
  }
  if (policy === 'DAILY') {
    return {
      status: 'error',
      message: 'You have reached your daily limit.',
      errorType: 'RATE_LIMIT',
      correlationId,
      policyName: 'DAILY',
    };
  }
  return {
    status: 'error',
    message: 'You have reached your ten_secondly_rolling limit.',
    errorType: 'RATE_LIMIT',
    correlationId,
    policyName: 'TEN_SECONDLY_ROLLING',
    groupName: `publicapi:private_app-api-calls-ten-secondly:sandbox:${portalId}`,
  };
}
