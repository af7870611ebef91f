/**
 * What a new user sees first (docs/first-run.md): the one startup line saying what the agent
 * does, and the first failed export of each signal logged once at `warn` with where it went.
 * Later failures are only counted (`ck.agent.export.failures{signal}`), so a collector that is
 * down for a day costs one log line, not one per interval.
 */
import type { CKConfig } from '../config/types';
import { describeError, logger } from '../logger';
import { httpMetricsUrl } from '../metrics/readers';
import { otlpHttpTracesUrl, zipkinUrl } from '../trace/export';
import { packageVersion } from '../version';

export type ExportSignal = 'metrics' | 'traces';

function logTarget(config: CKConfig): string {
  return config.reporting.logFile ? `file ${config.reporting.logFile}` : 'stdout';
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Where graph path metrics go, e.g. `OTLP/gRPC http://localhost:4317`; undefined when nowhere. */
export function metricsDestination(config: CKConfig): string | undefined {
  if (!config.enabled || !config.telemetry.metricsEnabled) return undefined;
  const r = config.reporting;
  switch (r.metricReporterType) {
    case 'OTLP':
      return `OTLP/gRPC ${r.metricEndpoint}`;
    case 'OTLP_HTTP':
      return `OTLP/HTTP ${httpMetricsUrl(r.metricEndpoint)}`;
    case 'PROMETHEUS': {
      const host = config.metrics.prometheusHost || '0.0.0.0';
      return `Prometheus scrape endpoint http://${host.includes(':') ? `[${host}]` : host}:${config.metrics.prometheusPort}/metrics`;
    }
    case 'LOGGING':
      return `LOGGING to ${logTarget(config)}`;
    default:
      return undefined;
  }
}

/** Where sampled spans go, e.g. `OTLP/HTTP http://localhost:4318/v1/traces`; undefined when not exported. */
export function spansDestination(config: CKConfig): string | undefined {
  if (!config.enabled) return undefined;
  const r = config.reporting;
  switch (r.traceReporterType) {
    case 'OTLP':
      return `OTLP/gRPC ${r.endpoint}`;
    case 'OTLP_HTTP':
      return `OTLP/HTTP ${otlpHttpTracesUrl(r.endpoint, r.secure)}`;
    case 'ZIPKIN':
      return `Zipkin ${zipkinUrl(r.endpoint)}`;
    case 'LOGGING':
      return `LOGGING to ${logTarget(config)}`;
    default:
      return undefined;
  }
}

/**
 * The startup line: version, service, enabled instrumentations, and where metrics and spans go.
 * `instrumentations` are the names actually enabled.
 */
export function startupLine(config: CKConfig, instrumentations: readonly string[]): string {
  if (!config.enabled) return `ck-agent ${packageVersion()} is disabled by config (enabled=false): nothing is patched or exported`;
  const destination = metricsDestination(config);
  const pushed = destination !== undefined && config.reporting.metricReporterType !== 'PROMETHEUS';
  const metrics =
    destination === undefined ? 'not exported' : pushed ? `${destination} every ${seconds(config.metrics.exportIntervalMs)}` : destination;
  const spans = spansDestination(config) ?? `not exported (trace_reporter_type ${config.reporting.traceReporterType})`;
  const enabled = instrumentations.length > 0 ? instrumentations.join(', ') : 'none';
  return `ck-agent ${packageVersion()} started: service "${config.serviceName}"; instrumentations ${enabled}; metrics ${metrics}; spans ${spans}`;
}

/** Prints the startup line unless `log_startup` is off (it does not depend on log_level). */
export function printStartupLine(config: CKConfig, instrumentations: readonly string[]): void {
  if (!config.logStartup) return;
  try {
    logger.notice(startupLine(config, instrumentations));
  } catch (err) {
    logger.debug(`startup line failed: ${describeError(err)}`);
  }
}

/**
 * A callback for export failures of one signal: the first one is logged at `warn` with the
 * destination and the error, the rest only counted by the caller. One per agent, so a new agent
 * (tests, a restart after shutdown) reports its own first failure.
 */
export function firstExportFailureWarner(signal: ExportSignal, destination: string | undefined): (error: unknown) => void {
  let warned = false;
  return (error) => {
    if (warned) return;
    warned = true;
    const cause = error === undefined ? 'no reason given' : describeError(error);
    const what = signal === 'metrics' ? 'metric' : 'span';
    logger.warn(
      `${what} export to ${destination ?? 'the configured exporter'} failed: ${cause}. ` +
        `Later failures are not logged, only counted in ck.agent.export.failures{signal="${signal}"} (docs/first-run.md)`
    );
  };
}
