import test from 'ava';
import { ValueType } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { speedUpPrometheusSerializer } from '../../src/metrics/prometheus-serializer';

const T: [number, number] = [1_700_000_000, 5];

function histogramPoint(attributes: Record<string, unknown>, boundaries: number[], counts: number[], withSum = true) {
  return {
    attributes,
    startTime: T,
    endTime: T,
    value: {
      count: counts.reduce((a, b) => a + b, 0),
      sum: withSum ? 12.25 : undefined,
      min: 0.001,
      max: 3,
      buckets: { boundaries, counts },
    },
  };
}

function resourceMetrics(): ResourceMetrics {
  const boundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const counts = boundaries.map((_, i) => (i * 7) % 5).concat([2]);
  const metrics: MetricData[] = [
    {
      descriptor: { name: 'ck.path.duration', description: 'Path "duration"\nwith \\ escapes', unit: 's', valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [
        histogramPoint(
          { path_key: '4f1c2a9be07d3318', 'element.name': 'GET /orders/{id}', 'weird-label.x': 'a"b\\c\nd' },
          boundaries,
          counts
        ),
        histogramPoint({}, boundaries, counts, false),
        histogramPoint({ n: 3, b: true, arr: ['x', 'y'] }, [1, 2, Infinity], [1, 2, 3]),
        histogramPoint({ k: 'v' }, [], [4]),
      ],
    } as unknown as MetricData,
    {
      descriptor: { name: 'ck.path.calls', description: 'calls', unit: '', valueType: ValueType.INT },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints: [
        { attributes: { path_key: 'abc', status: 'ok' }, startTime: T, endTime: T, value: 42 },
        { attributes: {}, startTime: T, endTime: T, value: Infinity },
        { attributes: { q: undefined }, startTime: T, endTime: T, value: -1.5 },
      ],
    } as unknown as MetricData,
    {
      descriptor: { name: 'ck.agent.in_flight', description: '', unit: '', valueType: ValueType.INT },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.GAUGE,
      dataPoints: [{ attributes: { x: '1' }, startTime: T, endTime: T, value: -Infinity }],
    } as unknown as MetricData,
  ];
  return {
    resource: resourceFromAttributes({ 'service.name': 'svc "1"', 'deployment.environment': 'test' }),
    scopeMetrics: [{ scope: { name: 'ck-agent', version: '0.1.0', schemaUrl: 'https://x/y' }, metrics }],
  };
}

const variants: Array<[string, ConstructorParameters<typeof PrometheusSerializer>]> = [
  ['defaults', [undefined, false]],
  ['prefix, resource constant labels', ['app', false, /service/]],
  ['without scope info and target info', [undefined, false, undefined, true, true]],
  ['timestamps appended (left to upstream)', [undefined, true]],
];

for (const [name, args] of variants) {
  test(`the faster data point lines are byte-identical to upstream's: ${name}`, (t) => {
    const upstream = new PrometheusSerializer(...args);
    const fast = new PrometheusSerializer(...args);
    t.true(speedUpPrometheusSerializer(fast));
    const expected = upstream.serialize(resourceMetrics());
    t.true(expected.includes('_bucket{'));
    t.is(fast.serialize(resourceMetrics()), expected);
  });
}

test('an `le` among the constant labels goes to the upstream method (same text)', (t) => {
  const rm = resourceMetrics();
  (rm.resource as unknown as { attributes: Record<string, unknown> }).attributes.le = 'x';
  const upstream = new PrometheusSerializer(undefined, false, /^le$/);
  const fast = new PrometheusSerializer(undefined, false, /^le$/);
  speedUpPrometheusSerializer(fast);
  t.is(fast.serialize(rm), upstream.serialize(rm));
});

test('an object without the expected methods is left alone', (t) => {
  t.false(speedUpPrometheusSerializer(undefined));
  t.false(speedUpPrometheusSerializer({}));
});
