import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';

/**
 * Committed workflow histories, one file per lifecycle path. Stored as the proto's plain-object form
 * (longs, enums and bytes as strings), not through historyToJSON/historyFromJSON: in this install
 * @temporalio/common and @temporalio/proto each carry their own copy of protobufjs 8 (the top level
 * holds gRPC's protobufjs 7), and protojson's `instanceof Type` check fails across the two copies.
 */
export interface HistoryFile {
  /** Which code recorded it, e.g. the commit before a change it guards. */
  recordedWith: string | null;
  histories: { workflowId: string; history: temporal.api.history.v1.IHistory }[];
}

const History = temporal.api.history.v1.History;

export function historyToObject(history: temporal.api.history.v1.IHistory): temporal.api.history.v1.IHistory {
  return History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String });
}

export function writeHistoryFile(path: string, file: HistoryFile): void {
  writeFileSync(path, JSON.stringify(file) + '\n');
}

export function readHistoryFiles(dir: string): { name: string; file: HistoryFile }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.json$/, ''),
      file: JSON.parse(readFileSync(join(dir, f), 'utf8')) as HistoryFile,
    }));
}

/** The replay worker's input: proto instances, so no JSON conversion runs. */
export function replayable(file: HistoryFile): { workflowId: string; history: temporal.api.history.v1.History }[] {
  return file.histories.map((h) => ({ workflowId: h.workflowId, history: History.fromObject(h.history) }));
}
