/**
 * The one narrow context every CK instrumentation gets (docs/architecture.md): the capture
 * switches, limits and the single Redactor, resolved once from the frozen config when the agent
 * starts, plus the few counters and decisions instrumentations need. Instrumentations never see
 * the agent, the config tree, the metrics or an exporter.
 */
import type { Span } from '@opentelemetry/api';
import type { CKConfig, DirectionSwitch } from '../config/types';
import type { BodyLimits } from './body-capture';
import { captureWanted } from './policy';
import { Redactor } from './redaction';

/** Statements longer than this are cut even when no attribute length limit is configured. */
export const DEFAULT_STATEMENT_MAX_LENGTH = 32 * 1024;

/** Tests a body key against the redaction patterns (undefined: no body-key redaction). */
export type KeyRedactor = ((key: string) => boolean) | undefined;

/** The self-metrics instrumentations feed. */
export interface InstrumentationCounters {
  /** A present but invalid ck-route value was ignored. */
  invalidRoute(): void;
}

/** The bound for captured statements given the configured attribute value length limit. */
export function statementMaxLength(attributeValueLengthLimit: number): number {
  return Number.isFinite(attributeValueLengthLimit) && attributeValueLengthLimit > 0
    ? Math.min(attributeValueLengthLimit, DEFAULT_STATEMENT_MAX_LENGTH)
    : DEFAULT_STATEMENT_MAX_LENGTH;
}

export class InstrumentationContext {
  readonly serviceName: string;
  /** The one Redactor of the agent (header names and body keys from `redaction`). */
  readonly redactor: Redactor;
  /** Body-key redaction for writers that redact while serialising (gRPC messages, Mongo commands). */
  readonly redactKey: KeyRedactor;
  /** Filters see redacted data only when `redaction.apply_to_filters` is on. */
  readonly redactForFilters: boolean;
  readonly http: { readonly headers: DirectionSwitch; readonly body: DirectionSwitch };
  readonly rpc: { readonly metadata: DirectionSwitch; readonly body: DirectionSwitch };
  readonly bodyLimits: BodyLimits;
  /** Content-type substrings whose HTTP bodies are captured. */
  readonly allowedContentTypes: readonly string[];
  /** Bound for captured statements (`db.query.text`): the attribute length limit, capped. */
  readonly statementMaxLength: number;
  /** `logs.correlation_enabled`: log instrumentations inject trace ids and the path key. */
  readonly logCorrelation: boolean;

  constructor(
    config: CKConfig,
    /** True when sampled spans leave the process (a consumer for captured data exists). */
    private readonly spanExportEnabled: boolean,
    private readonly counters: InstrumentationCounters
  ) {
    const dc = config.dataCapture;
    this.serviceName = config.serviceName;
    const redactor = new Redactor(config.redaction);
    this.redactor = redactor;
    this.redactKey = redactor.bodyEnabled ? (key: string) => redactor.isRedactedKey(key) : undefined;
    this.redactForFilters = config.redaction.applyToFilters;
    this.http = Object.freeze({ headers: dc.httpHeaders, body: dc.httpBody });
    this.rpc = Object.freeze({ metadata: dc.rpcMetadata, body: dc.rpcBody });
    this.bodyLimits = Object.freeze({ maxBytes: dc.bodyMaxSizeBytes, maxProcessingBytes: dc.bodyMaxProcessingSizeBytes });
    this.allowedContentTypes = dc.allowedContentTypes;
    this.statementMaxLength = statementMaxLength(config.tracing.attributeValueLengthLimit);
    this.logCorrelation = config.logs.correlationEnabled;
    Object.freeze(this);
  }

  /** True when captured data has a consumer for this span (docs/http-express.md, "Capture policy"). */
  captureWanted(span: Span): boolean {
    return captureWanted(this.spanExportEnabled, span);
  }

  countInvalidRoute(): void {
    try {
      this.counters.invalidRoute();
    } catch {
      // self-metrics are best effort
    }
  }
}
