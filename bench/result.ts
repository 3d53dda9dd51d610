/** One benchmark scenario's measurements. */
export interface BenchResult {
  scenario: string;
  /** CRM API calls the scenario made. */
  calls: number;
  wallS: number;
  /** The shortest time the CRM's rate limit allows for those calls. */
  floorS: number;
  /** Peak resident memory of the worker process. */
  rssMb: number;
  /** Extra facts for the reader, printed after the fixed fields. */
  notes?: string;
}

/** `BENCH <scenario> calls=<n> wall_s=<s> floor_s=<s> ratio=<wall/floor> rss_mb=<peak worker RSS>` */
export function formatBench(r: BenchResult): string {
  const line = `BENCH ${r.scenario} calls=${r.calls} wall_s=${r.wallS.toFixed(1)} floor_s=${r.floorS.toFixed(1)} ratio=${(r.wallS / r.floorS).toFixed(2)} rss_mb=${Math.round(r.rssMb)}`;
  return r.notes ? `${line} ${r.notes}` : line;
}
