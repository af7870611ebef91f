/**
 * The `--html` picture: self-contained, and readable at 50 services / 500 paths (the synthetic
 * fleet of fixtures/cli/synthetic-fleet.ts), checked in headless Chromium.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectSeries } from '../../src/cli/paths';
import { Problems } from '../../src/cli/problems';
import { renderHtml } from '../../src/cli/render-html';
import { buildForest } from '../../src/cli/tree';
import { describeSources } from '../../src/cli/view-meta';
import type { Series } from '../../src/cli/series';
import { writeSyntheticFleet } from '../../fixtures/cli/synthetic-fleet';
import { chromiumMissing, screenshotPath, withPage } from '../../fixtures/cli/browser';
import { makeTempDir } from '../../fixtures/temp-dir';

// Page code runs in the browser; these names exist there (no DOM lib in this Node project).
declare const document: any;
declare const window: any;

const dir = makeTempDir('ck-cli-html-');

const hostile: Series = {
  service: 'evil</script><script>window.pwned=1</script>',
  pathKey: '1111111111111111',
  parentKey: '0000000000000000',
  element: { type: 'HTTP_SERVICE', name: 'GET /<img src=x onerror="window.pwned=2">', role: 'entry' },
  calls: 3,
  errors: 1,
  p50: 0.001,
  p99: 0.002,
  max: 0.002,
  percentiles: 'worst-interval',
  intervals: 1,
  instances: null,
};

test('the file is self-contained: no URL to load, a CSP that forbids the network, names escaped', (t) => {
  const forest = buildForest([hostile]);
  const html = renderHtml(forest, describeSources([], forest));
  t.false(/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html));
  t.regex(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  t.false(html.includes('</script><script>window.pwned'), 'a service name cannot close the script element');
  t.false(html.includes('<img src=x'), 'an element name cannot inject markup');
  t.is((html.match(/<script/g) ?? []).length, 2, 'the data block and the page script only');
});

const noChromium = chromiumMissing();
if (noChromium) console.log(`[render-html] skipping the browser tests: ${noChromium}`);
const browserTest = noChromium ? test.skip : test;

browserTest('50 services / 500 paths: a box per service, an edge per hop, labels that do not overlap, a chain on hover', async (t) => {
  const fleet = writeSyntheticFleet(path.join(dir, 'fleet'), { services: 50, paths: 500 });
  t.is(fleet.hops, 500);
  const problems = new Problems();
  const collected = await collectSeries({ from: [path.join(dir, 'fleet')] }, problems);
  t.deepEqual(problems.list, []);
  const forest = buildForest(collected.series);
  const file = path.join(dir, 'fleet.html');
  fs.writeFileSync(file, renderHtml(forest, describeSources(collected.sources, forest)));
  await withPage(file, { width: 1600, height: 900 }, async (page, errors) => {
    const services = await page.$$eval('svg g.service', (els) => els.map((e) => e.getAttribute('data-service')!).sort());
    t.deepEqual(services, fleet.services);
    t.is(fleet.services.length, 50);
    t.is(await page.$$eval('svg path.hop', (els) => els.length), 500);
    // Each service box gets as many incoming edges as it has entry series.
    const incoming = await page.$$eval('svg path.hop', (els) => {
      const counts: Record<string, number> = {};
      for (const e of els) counts[e.getAttribute('data-to')!] = (counts[e.getAttribute('data-to')!] ?? 0) + 1;
      return counts;
    });
    t.deepEqual(incoming, Object.fromEntries(fleet.entriesPerService));
    // Permanent labels never overlap one another or a service box.
    const overlaps = await page.evaluate(() => {
      const rects = [...document.querySelectorAll('svg text.pair-label:not(.quiet), svg g.service rect, svg g.external rect')].map(
        (e: { getBoundingClientRect(): { left: number; right: number; top: number; bottom: number } }) => e.getBoundingClientRect()
      );
      let n = 0;
      for (let i = 0; i < rects.length; i++)
        for (let j = i + 1; j < rects.length; j++) {
          const a = rects[i];
          const b = rects[j];
          if (a.left < b.right - 1 && a.right > b.left + 1 && a.top < b.bottom - 1 && a.bottom > b.top + 1) n++;
        }
      return { n, labels: document.querySelectorAll('svg text.pair-label:not(.quiet)').length };
    });
    t.true(overlaps.labels >= 20, `${overlaps.labels} labels shown`);
    t.is(overlaps.n, 0);
    // Click the deepest hop of the list's first path: the chain panel shows every hop of it.
    // (No named inner functions in page code: tsx would wrap them in a helper the page lacks.)
    const deepest = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById('ck-data').textContent) as { hops: Array<{ id: number; parent: number }> };
      let best = { id: 0, depth: 0 };
      for (const h of data.hops) {
        let d = 1;
        for (let p = h.parent; p >= 0; p = data.hops[p].parent) d++;
        if (d > best.depth) best = { id: h.id, depth: d };
      }
      return best;
    });
    t.true(deepest.depth >= 3);
    await page.click(`#paths li[data-hop="${deepest.id}"]`);
    t.is(await page.$$eval('#chain li .hopname', (els) => els.length), deepest.depth);
    t.is(await page.$$eval('svg path.hop.hl', (els) => els.length), deepest.depth);
    await page.screenshot({ path: screenshotPath('paths-50-services.png') });
    // Filtering the list by a service keeps only the paths through it.
    await page.fill('#filter', fleet.services[0]);
    const listed = await page.$$eval('#paths li[data-hop]', (els) => els.map((e) => e.textContent ?? ''));
    t.true(listed.length > 0 && listed.every((l) => l.includes(fleet.services[0])));
    t.deepEqual(errors, []);
  });
});

browserTest('hostile names stay text in the browser', async (t) => {
  const forest = buildForest([hostile]);
  const file = path.join(dir, 'hostile.html');
  fs.writeFileSync(file, renderHtml(forest, describeSources([], forest)));
  await withPage(file, { width: 1000, height: 600 }, async (page, errors) => {
    t.is(await page.evaluate(() => window.pwned as number | undefined), undefined);
    t.is(await page.$eval('svg g.service', (e) => e.getAttribute('data-service')), hostile.service);
    t.deepEqual(errors, []);
  });
});
