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
import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { GraphElement } from '../graph/types';
import { describeError, logger } from '../logger';
import { withPeerServices, type PeerServiceResolver } from './peer-service';

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

export interface MapperRegistryOptions {
  /**
   * Also dispatch to the process-wide mappers of `registerMapper()` (before this registry's own,
   * so a user mapper can take spans a built-in one would otherwise map).
   */
  withRegisteredMappers?: boolean;
  /** Adds `peer.service` to the client elements of every mapper dispatched to (peer-service.ts). */
  peerServices?: PeerServiceResolver;
}

export class MapperRegistry {
  private byKind = new Map<SpanKind, MarkerEntry[]>();
  private readonly mappers: SpanMapper[] = [];
  /** What dispatch hands out for each registered mapper (itself, or its peer-service decorator). */
  private readonly dispatched = new Map<SpanMapper, SpanMapper>();
  private readonly peerServices: PeerServiceResolver | undefined;
  /**
   * Keyed by the span's instrumentation scope object (one per tracer, shared by its spans), so a
   * lookup allocates nothing; entries go away with their tracer.
   */
  private scopeCache = new WeakMap<object, ScopeCache>();
  private readonly withRegistered: boolean;
  /** The registered-mapper version the scope cache was built against. */
  private seenVersion = registered.version;
  /** Per registered mapper: the mapper dispatched to, which falls through to this registry's own. */
  private fallthroughs = new Map<SpanMapper, SpanMapper>();
  private readonly ownMapperFor = (span: ReadableSpan): SpanMapper | undefined => firstMarked(this.byKind.get(span.kind), span.attributes);

  constructor(options: MapperRegistryOptions = {}) {
    this.withRegistered = options.withRegisteredMappers === true;
    this.peerServices = options.peerServices;
  }

  register(mapper: SpanMapper): this {
    const dispatched = this.peerServices ? withPeerServices(mapper, this.peerServices) : mapper;
    this.mappers.push(mapper);
    this.dispatched.set(mapper, dispatched);
    addEntries(this.byKind, dispatched);
    this.scopeCache = new WeakMap();
    return this;
  }

  /** Removes a mapper registered on this registry; spans are dispatched without it from now on. */
  unregister(mapper: SpanMapper): this {
    const i = this.mappers.indexOf(mapper);
    if (i < 0) return this;
    this.mappers.splice(i, 1);
    if (!this.mappers.includes(mapper)) this.dispatched.delete(mapper);
    this.byKind = new Map();
    for (const m of this.mappers) addEntries(this.byKind, this.dispatched.get(m) ?? m);
    this.scopeCache = new WeakMap();
    return this;
  }

  /** Finds the mapper for a span, or undefined when none takes it. */
  mapperFor(span: ReadableSpan): SpanMapper | undefined {
    if (this.withRegistered && this.seenVersion !== registered.version) {
      // registerMapper()/unregisterMapper() since the last lookup: cached winners may be stale.
      this.scopeCache = new WeakMap();
      this.fallthroughs = new Map();
      this.seenVersion = registered.version;
    }
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
    if (this.withRegistered && registered.count > 0) {
      const user = firstMarked(registered.byKind.get(kind), attributes);
      if (user) {
        let mapper = this.fallthroughs.get(user);
        if (!mapper) {
          mapper = fallThrough(user, this.ownMapperFor);
          if (this.peerServices) mapper = withPeerServices(mapper, this.peerServices);
          this.fallthroughs.set(user, mapper);
        }
        return mapper;
      }
    }
    return firstMarked(this.byKind.get(kind), attributes);
  }
}

/**
 * A registered mapper that lets spans it declines (map() returns undefined) go on to the
 * registry's own mappers, so a user mapper keyed on a common marker (`db.system`) cannot hide
 * the spans of other libraries. isError() asks the mapper that produced the element: the
 * processor calls it right after map() for the same span, which the one-span memo answers
 * without mapping twice.
 */
function fallThrough(user: SpanMapper, ownMapperFor: (span: ReadableSpan) => SpanMapper | undefined): SpanMapper {
  let lastSpan: ReadableSpan | undefined;
  let lastChosen: SpanMapper | undefined;
  const choose = (span: ReadableSpan): SpanMapper | undefined => (user.map(span) !== undefined ? user : ownMapperFor(span));
  return Object.freeze({
    name: user.name,
    kinds: user.kinds,
    markers: user.markers,
    map(span: ReadableSpan): GraphElement | undefined {
      const element = user.map(span);
      const chosen = element !== undefined ? user : ownMapperFor(span);
      lastSpan = span;
      lastChosen = chosen;
      return element !== undefined ? element : chosen?.map(span);
    },
    isError(span: ReadableSpan): boolean {
      const chosen = span === lastSpan ? lastChosen : choose(span);
      lastSpan = undefined;
      lastChosen = undefined;
      // No mapper took the span: judge it as the processor judges unmapped spans, by its status.
      return chosen !== undefined ? chosen.isError(span) : span.status.code === SpanStatusCode.ERROR;
    },
  });
}

function addEntries(byKind: Map<SpanKind, MarkerEntry[]>, mapper: SpanMapper): void {
  for (const kind of mapper.kinds) {
    let entries = byKind.get(kind);
    if (!entries) byKind.set(kind, (entries = []));
    for (const marker of mapper.markers) entries.push({ marker, mapper });
  }
}

function firstMarked(entries: MarkerEntry[] | undefined, attributes: Attributes): SpanMapper | undefined {
  if (!entries) return undefined;
  for (let i = 0; i < entries.length; i++) {
    if (attributes[entries[i].marker] !== undefined) return entries[i].mapper;
  }
  return undefined;
}

// ---- process-wide mappers: registerMapper() / unregisterMapper() (docs/extending.md) ---------

/**
 * Mappers added through the public API, shared by every registry built with
 * `withRegisteredMappers` (the agent's). Copy-on-write, and a version that registries compare on
 * lookup to drop their per-scope cache, so a mapper registered or removed after init() takes
 * effect for the very next span.
 */
const registered = {
  version: 0,
  count: 0,
  byKind: new Map<SpanKind, MarkerEntry[]>(),
  /** The mapper as given -> the guarded copy dispatched to. */
  guarded: new Map<SpanMapper, SpanMapper>(),
};

const SPAN_KINDS = new Set<number>([SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]);

/** Why `mapper` cannot be used, or undefined when it has the SpanMapper shape. */
function shapeProblem(mapper: unknown): string | undefined {
  if (!mapper || typeof mapper !== 'object') return 'a mapper must be an object';
  const m = mapper as Partial<SpanMapper>;
  if (typeof m.name !== 'string' || m.name === '') return 'name must be a non-empty string';
  if (!Array.isArray(m.kinds) || m.kinds.length === 0 || !m.kinds.every((k) => SPAN_KINDS.has(k))) {
    return 'kinds must be a non-empty array of SpanKind values';
  }
  if (!Array.isArray(m.markers) || m.markers.length === 0 || !m.markers.every((k) => typeof k === 'string' && k !== '')) {
    return 'markers must be a non-empty array of attribute names';
  }
  if (typeof m.map !== 'function') return 'map must be a function';
  if (typeof m.isError !== 'function') return 'isError must be a function';
  return undefined;
}

/** A copy of a user mapper whose map/isError never throw into span processing. */
function guard(mapper: SpanMapper): SpanMapper {
  const name = mapper.name;
  return Object.freeze({
    name,
    kinds: Object.freeze([...mapper.kinds]),
    markers: Object.freeze([...mapper.markers]),
    map(span: ReadableSpan): GraphElement | undefined {
      try {
        return mapper.map(span);
      } catch (err) {
        logger.once(
          'warn',
          `mapper-map:${name}`,
          `mapper ${name}: map() threw, the span is not recorded as an element: ${describeError(err)}`
        );
        return undefined;
      }
    },
    isError(span: ReadableSpan): boolean {
      try {
        return mapper.isError(span) === true;
      } catch (err) {
        logger.once('warn', `mapper-error:${name}`, `mapper ${name}: isError() threw, the call counts as no error: ${describeError(err)}`);
        return false;
      }
    },
  });
}

function rebuildRegistered(): void {
  const byKind = new Map<SpanKind, MarkerEntry[]>();
  for (const guarded of registered.guarded.values()) addEntries(byKind, guarded);
  registered.byKind = byKind;
  registered.count = registered.guarded.size;
  registered.version++;
}

/**
 * Adds a span -> graph element mapper for a library ck-agent does not know. It is tried before the
 * built-in mappers, for spans of its `kinds` that carry one of its `markers`; a span its map()
 * declines (undefined) goes on to the built-in mappers. It takes effect for the next span, also
 * after init(). Registering the same object twice is a no-op; an object without the SpanMapper
 * shape is refused with a warning. See docs/extending.md.
 */
export function registerMapper(mapper: SpanMapper): void {
  const problem = shapeProblem(mapper);
  if (problem) {
    logger.warn(`registerMapper: ${problem}; mapper ignored`);
    return;
  }
  if (registered.guarded.has(mapper)) return;
  registered.guarded.set(mapper, guard(mapper));
  rebuildRegistered();
}

/** Removes a mapper added with registerMapper(); the next span is dispatched without it. */
export function unregisterMapper(mapper: SpanMapper): void {
  if (!registered.guarded.delete(mapper)) return;
  rebuildRegistered();
}

function hasMarker(mapper: SpanMapper, attributes: Attributes): boolean {
  for (const marker of mapper.markers) if (attributes[marker] !== undefined) return true;
  return false;
}
