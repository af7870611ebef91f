/**
 * Memory budgets, measured in a child process (`--expose-gc`, heapUsed + arrayBuffers deltas):
 * see memory-probe.ts. Figures are logged with t.log.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const PROBE = path.join(__dirname, 'memory-probe.ts');

function probe(mode: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', PROBE, mode], { cwd: ROOT, timeout: 80_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
      } catch (parseError) {
        reject(new Error(`probe output not JSON: ${stdout}\n${stderr}`));
      }
    });
  });
}

test('2 000 active series with realistic latencies stay within 16 KiB per series on average', async (t) => {
  const result = await probe('series');
  t.log(`bytes per active series (store + HDR + snapshot + SDK): ${result.bytesPerSeries}`);
  t.is(result.series, 2000);
  t.true(result.bytesPerSeries > 0);
  t.true(result.bytesPerSeries <= 16 * 1024, `${result.bytesPerSeries} bytes per series`);
});

test('100 000 distinct paths into a cap of 2 000: at most 2 001 series exported, memory flat past the cap', async (t) => {
  const result = await probe('cardinality');
  t.log(
    `heap for the first 2 000 series: ${result.heapAtCap} bytes; growth over the next 98 000 paths: ${result.growthPast98000Paths} bytes`
  );
  t.is(result.active, 2000);
  t.is(result.overflowRecords, 98_000);
  t.true(result.exportedSeries <= 2001 && result.exportedSeries > 0, `exported ${result.exportedSeries}`);
  t.true(result.growthPast98000Paths < 2 * 1024 * 1024, `grew ${result.growthPast98000Paths} bytes`);
});

test('record() cost on the hot path (logged, not asserted)', async (t) => {
  const result = await probe('record-ns');
  t.log(`record(): ${result.nsPerRecord} ns/op (known series, machine-dependent)`);
  t.true(result.nsPerRecord > 0);
});
