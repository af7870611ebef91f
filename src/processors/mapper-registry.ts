/**
 * The extension point that turns an ended span into a graph path element.
 *
 * A mapper declares the span kinds it takes and the attribute that marks its spans
 * (e.g. `rpc.system`). Dispatch indexes mappers by kind, then tries the few marker attributes
 * registered for that kind in priority order, so a span costs a handful of property reads,
 * not a scan over every mapper. The winning mapper is cached per (instrumentation scope, kind):
 * one instrumentation usually emits one shape of span per kind, and the cached mapper's markers are
 * still checked, so a scope that emits several shapes stays correct.
 */
import { SpanKind, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { GraphElement } from '../graph/types';

export interface SpanMapper {
  /** Name for logs and tests. */
  readonly name: string;
  /** Span kinds this mapper takes. */
  readonly kinds: readonly SpanKind[];
  /** Attributes whose presence marks a span as this mapper's (any one is enough). */
  readonly markers: readonly string[];
  /** Returns the element for the span, or undefined when the span is not a graph element. */
  map(span: ReadableSpan): GraphElement | undefined;
  /** Whether the span counts as an error for this element type. */
  isError(span: ReadableSpan): boolean;
}

interface MarkerEntry {
  marker: string;
  mapper: SpanMapper;
}

type ScopeCache = Array<SpanMapper | undefined>;

export class MapperRegistry {
  private readonly byKind = new Map<SpanKind, MarkerEntry[]>();
  /**
   * Keyed by the span's instrumentation scope object (one per tracer, shared by its spans), so a
   * lookup allocates nothing; entries go away with their tracer.
   */
  private scopeCache = new WeakMap<object, ScopeCache>();

  register(mapper: SpanMapper): this {
    for (const kind of mapper.kinds) {
      let entries = this.byKind.get(kind);
      if (!entries) this.byKind.set(kind, (entries = []));
      for (const marker of mapper.markers) entries.push({ marker, mapper });
    }
    this.scopeCache = new WeakMap();
    return this;
  }

  /** Finds the mapper for a span, or undefined when none takes it. */
  mapperFor(span: ReadableSpan): SpanMapper | undefined {
    const scope = span.instrumentationScope as object | undefined;
    let cache = scope !== undefined ? this.scopeCache.get(scope) : undefined;
    const cached = cache?.[span.kind];
    // The marker check keeps a shared tracer name (several span shapes per kind) correct.
    if (cached && hasMarker(cached, span.attributes)) return cached;
    const found = this.dispatch(span.kind, span.attributes);
    // Only positive results are cached: an instrumentation may emit unmarked INTERNAL spans
    // (express layers) as well as marked ones of the same kind.
    if (found && scope !== undefined && typeof scope === 'object') {
      if (!cache) this.scopeCache.set(scope, (cache = []));
      cache[span.kind] = found;
    }
    return found;
  }

  private dispatch(kind: SpanKind, attributes: Attributes): SpanMapper | undefined {
    const entries = this.byKind.get(kind);
    if (!entries) return undefined;
    for (let i = 0; i < entries.length; i++) {
      if (attributes[entries[i].marker] !== undefined) return entries[i].mapper;
    }
    return undefined;
  }
}

function hasMarker(mapper: SpanMapper, attributes: Attributes): boolean {
  for (const marker of mapper.markers) if (attributes[marker] !== undefined) return true;
  return false;
}
