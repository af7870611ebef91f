/**
 * Reading span attributes under both the stable OpenTelemetry semantic-convention names and the
 * old ones (the `*_KEYS` lists of src/semconv.ts), so spans from any instrumentation version map
 * the same way.
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';

/** First attribute among `keys` that is a non-empty string (numbers are stringified). */
export function firstString(attributes: Attributes, keys: readonly string[]): string | undefined {
  for (let i = 0; i < keys.length; i++) {
    const value: AttributeValue | undefined = attributes[keys[i]];
    if (typeof value === 'string') {
      if (value.length > 0) return value;
    } else if (typeof value === 'number') {
      return String(value);
    }
  }
  return undefined;
}

/** First attribute among `keys` that is a finite number (numeric strings are parsed). */
export function firstNumber(attributes: Attributes, keys: readonly string[]): number | undefined {
  for (let i = 0; i < keys.length; i++) {
    const value = attributes[keys[i]];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string' && value.length > 0) {
      const parsed = Number(value);
      if (Number.isFinite(parsed)) return parsed;
    }
  }
  return undefined;
}
