/**
 * Graph path vocabulary shared by the tracer, the processors and the metrics.
 * Behaviour: docs/graph-path-key.md and docs/metrics.md.
 */

export type ElementType =
  'HTTP_SERVICE' | 'GRPC_SERVICE' | 'MESSAGING_CONSUMER' | 'HTTP_CLIENT' | 'GRPC_CLIENT' | 'DATABASE' | 'CACHE' | 'MESSAGING_PRODUCER';

export type ElementRole = 'entry' | 'exit';

/** Entry elements start a new path node; all others are recorded under the current key. */
export const ENTRY_ELEMENT_TYPES: ReadonlySet<ElementType> = new Set<ElementType>(['HTTP_SERVICE', 'GRPC_SERVICE', 'MESSAGING_CONSUMER']);

/** One place a request passes through. Low-cardinality by construction. */
export interface GraphElement {
  type: ElementType;
  /** Display name and metric attribute `ck.element.name`, e.g. `GET /orders/:id`, `SELECT orders`, `redis GET`. */
  name: string;
  role: ElementRole;
  /**
   * Extra low-cardinality metric attributes that apply to this element type:
   * `peer.service`, `db.system.name`, `rpc.service`, `server.address`, `db.namespace`, ...
   * Never captured data (headers, bodies, statement literals).
   */
  attributes?: Readonly<Record<string, string>>;
}

/** The root parent key: a request without a valid incoming ck-route is an external entry. */
export const ROOT_KEY = '0000000000000000';

/** ck-route flag bit 0: every service on the path captures full data and exports the spans. */
export const FLAG_FORCE_CAPTURE = 0x01;
