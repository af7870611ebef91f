import test from 'ava';
import { SeriesTable, bucketQuantile } from '../../src/cli/series';

const id = (service: string, pathKey = 'aaaaaaaaaaaaaaaa') => ({
  service,
  pathKey,
  parentKey: '0000000000000000',
  element: { type: 'HTTP_SERVICE', name: 'GET /a', role: 'entry' },
});

test('LOGGING intervals: calls and errors add up, p50/p99 of the worst interval, max of all', (t) => {
  const table = new SeriesTable();
  table.addInterval({ ...id('a'), calls: 10, errors: 1, p50: 0.01, p99: 0.05, max: 0.06 });
  table.addInterval({ ...id('a'), calls: 5, errors: 0, p50: 0.02, p99: 0.03, max: 0.2 });
  table.addInterval({ ...id('b'), calls: 1, errors: 0, p50: null, p99: null, max: null });
  const [a, b] = table.series().sort((x, y) => x.service.localeCompare(y.service));
  t.like(a, { calls: 15, errors: 1, p50: 0.02, p99: 0.05, max: 0.2, intervals: 2, percentiles: 'worst-interval', instances: null });
  t.like(b, { calls: 1, p50: null, p99: null });
});

test('Prometheus endpoints: counters and buckets add up over instances; instances counted', (t) => {
  const table = new SeriesTable();
  const buckets = (a: number, b: number, inf: number) =>
    new Map([
      [0.1, a],
      [0.2, b],
      [Infinity, inf],
    ]);
  table.addCumulative(id('a'), 'i1', 10, 1, buckets(10, 10, 10));
  table.addCumulative(id('a'), 'i2', 10, 0, buckets(0, 10, 10));
  const [a] = table.series();
  t.like(a, { calls: 20, errors: 1, instances: 2, percentiles: 'histogram' });
  t.is(a.p50, 0.1); // rank 10 of 20 is the top of the first bucket
  t.true(Math.abs(a.p99! - (0.1 + (0.1 * (19.8 - 10)) / 10)) < 1e-12);
});

test('the series cap bounds memory: rows of new series past it are refused and counted', (t) => {
  const table = new SeriesTable(2);
  t.true(table.addInterval({ ...id('a', '1111111111111111'), calls: 1, errors: 0, p50: 0, p99: 0, max: 0 }));
  t.true(table.addInterval({ ...id('a', '2222222222222222'), calls: 1, errors: 0, p50: 0, p99: 0, max: 0 }));
  t.false(table.addInterval({ ...id('a', '3333333333333333'), calls: 1, errors: 0, p50: 0, p99: 0, max: 0 }));
  t.true(table.addInterval({ ...id('a', '1111111111111111'), calls: 1, errors: 0, p50: 0, p99: 0, max: 0 }), 'known series still merge');
  t.is(table.size, 2);
  t.is(table.dropped, 1);
});

test('bucketQuantile follows PromQL histogram_quantile', (t) => {
  // 100 observations: 50 <= 1, 40 in (1, 2], 10 in (2, 4].
  const h = new Map([
    [1, 50],
    [2, 90],
    [4, 100],
    [Infinity, 100],
  ]);
  t.is(bucketQuantile(0.5, h), 1);
  t.is(bucketQuantile(0.25, h), 0.5, 'the first bucket interpolates from 0');
  t.is(bucketQuantile(0.7, h), 1.5);
  t.is(bucketQuantile(0.95, h), 3);
  // A rank in the +Inf bucket gives the largest finite bound.
  t.is(
    bucketQuantile(
      0.99,
      new Map([
        [1, 1],
        [Infinity, 100],
      ])
    ),
    1
  );
  t.is(
    bucketQuantile(
      0.5,
      new Map([
        [1, 0],
        [Infinity, 0],
      ])
    ),
    null,
    'no observations'
  );
  // Cumulative counts that decrease (endpoints scraped at different moments) are made monotonic.
  t.is(
    bucketQuantile(
      0.6,
      new Map([
        [1, 10],
        [2, 8],
        [3, 14],
        [Infinity, 20],
      ])
    ),
    2.5
  );
});
