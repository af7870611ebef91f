'use strict';
/**
 * Body redaction, two builds interleaved in one process (issue 14): `Redactor.body` alone and
 * BodyCapture + redaction (the body-capture micro of bench/micro.js), on JSON bodies like the
 * micro's, with the default redaction rules. Figures are CPU time (process.cpuUsage) per
 * operation, median of the rounds; each round runs both builds, in alternating order, so load
 * on a shared machine hits both alike. Outputs of the two builds are checked equal first.
 *
 *   node bench/redaction-ab.js <old build dir> [new build dir = build/] [--rounds=N]
 *
 * A build dir is a tsc outDir (e.g. a copy of build/ taken before a change, or another worktree's).
 */
const path = require('node:path');
const os = require('node:os');

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const ROUNDS = Number((process.argv.find((a) => a.startsWith('--rounds=')) || '--rounds=9').slice(9));
if (args.length < 1) {
  console.error('usage: node bench/redaction-ab.js <old build dir> [new build dir] [--rounds=N]');
  process.exit(2);
}
const builds = { old: path.resolve(args[0]), new: path.resolve(args[1] || path.join(__dirname, '..', 'build')) };
const KEYS = ['pass', 'secret', 'token', 'api[-_]?key', 'authorization', 'credential', 'card[-_]?number', 'cvv', 'ssn'];
const LIMITS = { maxBytes: 1 << 20, maxProcessingBytes: 1 << 20 };

/** Like bench/micro.js jsonBody: items with one `key` each (a redacted key, or not). */
function jsonBody(size, key) {
  const item = { sku: 'SKU-1000', name: 'Item number 1', qty: 3, price: 12.5, [key]: 'hunter2', tags: ['a', 'b'] };
  const items = [];
  let s = '';
  while (s.length < size) {
    items.push(item);
    s = JSON.stringify({ items });
  }
  return s;
}

const CASES = [
  ['1 KB, 8 matches', jsonBody(1024, 'password'), 4000],
  ['1 KB, no match', jsonBody(1024, 'comment'), 4000],
  ['1 KB, no match, escapes', jsonBody(1024, 'comment').replace(/Item number 1/g, 'Item \\"1\\" +1 50%'), 4000],
  ['2 KB pretty, 8 matches', JSON.stringify(JSON.parse(jsonBody(1024, 'password')), null, 2), 2000],
  ['64 KB, 468 matches', jsonBody(65536, 'password'), 60],
];

const variants = {};
for (const [name, dir] of Object.entries(builds)) {
  const { Redactor } = require(path.join(dir, 'src/capture/redaction.js'));
  const { BodyCapture } = require(path.join(dir, 'src/capture/body-capture.js'));
  variants[name] = { redactor: new Redactor({ headerNames: [], bodyKeys: KEYS }), BodyCapture };
}
for (const [name, text] of CASES) {
  if (variants.old.redactor.body(text, 'application/json') !== variants.new.redactor.body(text, 'application/json')) {
    throw new Error(`${name}: the two builds give different output`);
  }
}

let blackhole = 0;
function sample(v, text, buf, n, withCapture) {
  const t0 = process.cpuUsage();
  if (withCapture) {
    for (let i = 0; i < n; i++) {
      const capture = new v.BodyCapture(LIMITS, 'identity');
      capture.add(buf);
      blackhole += capture.result(v.redactor, 'application/json').value.length;
    }
  } else {
    for (let i = 0; i < n; i++) blackhole += v.redactor.body(text, 'application/json').length;
  }
  const cpu = process.cpuUsage(t0);
  return (cpu.user + cpu.system) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const mbs = (bytes, us) => Math.round(bytes / 2 ** 20 / (us / 1e6));
const load0 = os.loadavg()[0];
for (const withCapture of [false, true]) {
  console.log(withCapture ? '\nBodyCapture + redaction (the bench/micro.js body-capture micro)' : '\nRedactor.body');
  for (const [name, text, n] of CASES) {
    const buf = Buffer.from(text);
    const res = { old: [], new: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const k of r % 2 ? ['new', 'old'] : ['old', 'new']) res[k].push(sample(variants[k], text, buf, n, withCapture));
    }
    const o = median(res.old);
    const w = median(res.new);
    console.log(
      `${name.padEnd(24)} ${String(text.length).padStart(6)} B  old ${o.toFixed(2)} us (${mbs(text.length, o)} MB/s)` +
        `  new ${w.toFixed(2)} us (${mbs(text.length, w)} MB/s)  ${(o / w).toFixed(2)}x`
    );
  }
}
console.log(
  `\nNode ${process.version}, ${ROUNDS} rounds, load average ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)} (${blackhole % 7})`
);
