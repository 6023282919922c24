/**
 * After a real server process ran a batch to the end and stopped: every input ID is accounted for
 * (I1–I8 on the ledger and the emulator's files), nothing is left open or failed.
 */
import { expect } from 'vitest';
import { formatReport } from './checker';
import { checkFiles } from './process-harness';

export function expectAccounted(dataDir: string, batchId: string, ids: readonly string[]): void {
  const { report, figures } = checkFiles(dataDir, batchId, ids);
  expect(report.ok, formatReport(report)).toBe(true);
  expect(figures.state).toBe('done');
  expect(figures.counts).toMatchObject({ pending: 0, in_flight: 0, unknown: 0, failed: 0 });
  expect(figures.counts.succeeded + figures.counts.unchanged).toBe(ids.length);
}
