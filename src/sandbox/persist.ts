import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** How the sandboxes keep their data across restarts: one JSON file each. */

export function loadJson<T>(file: string | undefined, empty: () => T): T {
  if (!file) return empty();
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw err;
  }
}

/** Written to a temp file and renamed, so a crash mid-write never leaves half a file. */
export function saveJson(file: string, data: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(data));
  renameSync(`${file}.tmp`, file);
}

/** Saves shortly after the last change rather than on every request, and at once on flush(). */
export class DebouncedSaver {
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly file: string | undefined,
    private readonly data: () => unknown,
  ) {}

  changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => this.flush(), 500);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.file) saveJson(this.file, this.data());
  }
}
