/**
 * Faster data point lines for the upstream PrometheusSerializer (docs/metrics.md, PROMETHEUS).
 *
 * The upstream serializer rebuilds and re-escapes every label of a series for each line: a path
 * duration histogram has 115 bucket lines, so a scrape spent milliseconds per path on the event
 * loop. These replacements build a data point's label text once and append `le` per bucket. The
 * text is byte-identical to the upstream's (same label order, escaping, value formatting); cases
 * it does not cover (timestamps appended, an `le` among the constant labels) go to the upstream
 * methods.
 */
import type { Attributes } from '@opentelemetry/api';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';

interface UpstreamSerializer {
  _appendTimestamp?: boolean;
  _serializeSingularDataPoint(name: string, data: MetricData, dataPoint: DataPoint<number>, additional?: Attributes): string;
  _serializeHistogramDataPoint(name: string, data: MetricData, dataPoint: DataPoint<Histogram>, additional?: Attributes): string;
}

const INVALID_NAME_CHARS = /[^a-z0-9_]/gi;
const MULTIPLE_UNDERSCORES = /_{2,}/g;
const NEEDS_ESCAPE = /[\\\n"]/;

/** Sanitised label names: the same few keys on every series (bounded). */
const labelNames = new Map<string, string>();
const MAX_CACHED_NAMES = 512;

function labelName(key: string): string {
  let name = labelNames.get(key);
  if (name === undefined) {
    name = key.replace(INVALID_NAME_CHARS, '_').replace(MULTIPLE_UNDERSCORES, '_');
    if (labelNames.size < MAX_CACHED_NAMES) labelNames.set(key, name);
  }
  return name;
}

/** `le` label texts per boundaries array (one array per histogram configuration). */
const leTexts = new WeakMap<readonly number[], string[]>();

function leText(boundaries: readonly number[], i: number): string {
  let texts = leTexts.get(boundaries);
  if (texts === undefined) {
    texts = boundaries.map((upper) => (upper === Infinity ? '+Inf' : labelValue(String(upper))));
    leTexts.set(boundaries, texts);
  }
  return i < texts.length ? texts[i] : '+Inf';
}

function labelValue(value: unknown = ''): string {
  const s = typeof value === 'string' ? value : String(JSON.stringify(value));
  return NEEDS_ESCAPE.test(s) ? s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : s;
}

/** `k="v",...` of a data point's attributes then the constant labels, as upstream orders them. */
export function labelText(attributes: Attributes, additional: Attributes | undefined): string {
  let out = '';
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    out += `${out.length > 0 ? ',' : ''}${labelName(key)}="${labelValue(attributes[key])}"`;
  }
  if (additional) {
    for (const key in additional) {
      if (!Object.prototype.hasOwnProperty.call(additional, key)) continue;
      out += `${out.length > 0 ? ',' : ''}${labelName(key)}="${labelValue(additional[key])}"`;
    }
  }
  return out;
}

function valueText(value: number): string {
  return value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : `${value}`;
}

/**
 * Replaces the data point methods of an upstream PrometheusSerializer instance; false (nothing
 * changed) when it does not have the expected shape.
 */
export function speedUpPrometheusSerializer(serializer: unknown): boolean {
  const s = serializer as UpstreamSerializer | undefined;
  if (!s || typeof s._serializeSingularDataPoint !== 'function' || typeof s._serializeHistogramDataPoint !== 'function') return false;
  const upstreamSingular = s._serializeSingularDataPoint;
  const upstreamHistogram = s._serializeHistogramDataPoint;

  s._serializeSingularDataPoint = function (name, data, dataPoint, additional) {
    if (this._appendTimestamp) return upstreamSingular.call(this, name, data, dataPoint, additional);
    const labels = labelText(dataPoint.attributes, additional);
    return `${labels ? `${name}{${labels}}` : name} ${valueText(dataPoint.value)}\n`;
  };

  s._serializeHistogramDataPoint = function (name, data, dataPoint, additional) {
    if (this._appendTimestamp || (additional && Object.prototype.hasOwnProperty.call(additional, 'le'))) {
      return upstreamHistogram.call(this, name, data, dataPoint, additional);
    }
    const labels = labelText(dataPoint.attributes, additional);
    const histogram = dataPoint.value;
    let out = '';
    const count = histogram.count;
    if (count != null) out += `${labels ? `${name}_count{${labels}}` : `${name}_count`} ${valueText(count)}\n`;
    const sum = histogram.sum;
    if (sum != null) out += `${labels ? `${name}_sum{${labels}}` : `${name}_sum`} ${valueText(sum)}\n`;
    const bucketPrefix = `${name}_bucket{${labels ? `${labels},` : ''}le="`;
    const { counts, boundaries } = histogram.buckets;
    let cumulative = 0;
    let infiniteBoundary = false;
    for (let i = 0; i < counts.length; i++) {
      cumulative += counts[i];
      const upper = boundaries[i];
      // Same rule as upstream: boundaries may or may not end with Infinity.
      if (upper === undefined && infiniteBoundary) break;
      if (upper === Infinity) infiniteBoundary = true;
      const le = leText(boundaries, i);
      out += `${bucketPrefix}${le}"} ${valueText(cumulative)}\n`;
    }
    return out;
  };
  return true;
}
