/**
 * Every span and metric attribute name ck-agent reads or writes, in one place. ck.* names are
 * ours (docs/data-capture.md, docs/graph-path-key.md); the others are OpenTelemetry semantic
 * conventions. Mappers read both the stable names and the older ones still emitted by many
 * instrumentations (the `*_KEYS` lists: stable name first), so spans of any version map the same.
 */

// ---- ck-agent span attributes ----------------------------------------------------------------

/** The request's graph path key (16 hex chars), on every CK span of the request. */
export const ATTR_CK_PATH_KEY = 'ck.path.key';
/** The validated incoming `ck-route` value (never an invalid one). */
export const ATTR_CK_ROUTE_INCOMING = 'ck.route.incoming';
/** Attributes whose captured value was cut at the size limit (string array). */
export const ATTR_CK_CAPTURE_TRUNCATED = 'ck.capture.truncated';
/** Set on a request a filter blocked, with the filter's name. */
export const ATTR_CK_BLOCKED = 'ck.blocked';
export const ATTR_CK_BLOCKED_BY = 'ck.blocked.by';
/** Spans at or above `slow_span_threshold_ms`. */
export const ATTR_CK_SLOW = 'ck.slow';
/** Spans with error status (HTTP servers: 5xx). */
export const ATTR_CK_ERROR = 'ck.error';
/**
 * On an HTTP server span whose request reached a framework's router (`express`, `koa`,
 * `fastify`): without an `http.route` the request matched no route and is named
 * `<METHOD> (unmatched)`, never after its raw URL (docs/frameworks.md).
 */
export const ATTR_CK_HTTP_FRAMEWORK = 'ck.http.framework';
/** On the startup span. */
export const ATTR_CK_AGENT_VERSION = 'ck.agent.version';

// ---- graph path metric series attributes -------------------------------------------------------

export const ATTR_CK_PATH_PARENT_KEY = 'ck.path.parent_key';
export const ATTR_CK_ELEMENT_TYPE = 'ck.element.type';
export const ATTR_CK_ELEMENT_NAME = 'ck.element.name';
export const ATTR_CK_ELEMENT_ROLE = 'ck.element.role';
export const ATTR_CK_QUANTILE = 'ck.quantile';

// ---- HTTP -------------------------------------------------------------------------------------

export const ATTR_HTTP_REQUEST_HEADER_PREFIX = 'http.request.header.';
export const ATTR_HTTP_RESPONSE_HEADER_PREFIX = 'http.response.header.';
export const ATTR_HTTP_REQUEST_BODY = 'http.request.body';
export const ATTR_HTTP_RESPONSE_BODY = 'http.response.body';
export const ATTR_HTTP_ROUTE = 'http.route';

export const HTTP_METHOD_KEYS = ['http.request.method', 'http.method'] as const;
export const HTTP_ROUTE_KEYS = [ATTR_HTTP_ROUTE] as const;
export const HTTP_STATUS_KEYS = ['http.response.status_code', 'http.status_code'] as const;
export const URL_PATH_KEYS = ['url.path', 'http.target'] as const;
export const URL_FULL_KEYS = ['url.full', 'http.url'] as const;
export const SERVER_ADDRESS_KEYS = ['server.address', 'net.peer.name', 'http.host', 'net.host.name'] as const;
export const SERVER_PORT_KEYS = ['server.port', 'net.peer.port'] as const;
export const ATTR_SERVER_ADDRESS = 'server.address';
/** The logical name of the called service: a span attribute, and a series attribute of client elements. */
export const ATTR_PEER_SERVICE = 'peer.service';

// ---- RPC (gRPC) -------------------------------------------------------------------------------

export const ATTR_RPC_REQUEST_METADATA_PREFIX = 'rpc.request.metadata.';
export const ATTR_RPC_RESPONSE_METADATA_PREFIX = 'rpc.response.metadata.';
export const ATTR_RPC_REQUEST_BODY = 'rpc.request.body';
export const ATTR_RPC_RESPONSE_BODY = 'rpc.response.body';
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';
export const ATTR_RPC_SERVICE = 'rpc.service';

export const RPC_SYSTEM_KEYS = ['rpc.system', 'rpc.system.name'] as const;
export const RPC_SERVICE_KEYS = [ATTR_RPC_SERVICE] as const;
export const RPC_METHOD_KEYS = ['rpc.method'] as const;
export const RPC_GRPC_STATUS_KEYS = [ATTR_RPC_GRPC_STATUS_CODE, 'rpc.response.status_code'] as const;

// ---- databases and caches ---------------------------------------------------------------------

export const ATTR_DB_SYSTEM_NAME = 'db.system.name';
export const ATTR_DB_NAMESPACE = 'db.namespace';
export const ATTR_DB_QUERY_TEXT = 'db.query.text';
export const ATTR_DB_OPERATION_NAME = 'db.operation.name';
export const ATTR_DB_COLLECTION_NAME = 'db.collection.name';
export const ATTR_DB_QUERY_SUMMARY = 'db.query.summary';
export const ATTR_DB_RETURNED_ROWS = 'db.response.returned_rows';

/** The pseudo-collection MongoDB drivers address database commands to (`ping`, `hello`): no collection. */
export const MONGO_COMMAND_COLLECTION = '$cmd';

export const DB_SYSTEM_KEYS = [ATTR_DB_SYSTEM_NAME, 'db.system'] as const;
export const DB_OPERATION_KEYS = [ATTR_DB_OPERATION_NAME, 'db.operation'] as const;
export const DB_TARGET_KEYS = [ATTR_DB_COLLECTION_NAME, 'db.mongodb.collection', 'db.sql.table'] as const;
export const DB_NAMESPACE_KEYS = [ATTR_DB_NAMESPACE, 'db.name'] as const;
export const DB_STATEMENT_KEYS = [ATTR_DB_QUERY_TEXT, 'db.statement'] as const;

// ---- messaging --------------------------------------------------------------------------------

export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';

export const MESSAGING_SYSTEM_KEYS = [ATTR_MESSAGING_SYSTEM] as const;
export const MESSAGING_DESTINATION_KEYS = [ATTR_MESSAGING_DESTINATION_NAME, 'messaging.destination'] as const;
/** RabbitMQ routing key (stable, then the name upstream amqplib still sets): the destination of the default exchange. */
export const MESSAGING_ROUTING_KEY_KEYS = ['messaging.rabbitmq.destination.routing_key', 'messaging.rabbitmq.routing_key'] as const;
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
/** Captured message headers and payload (docs/messaging.md), Hypertrace style: the message is the request. */
export const ATTR_MESSAGING_REQUEST_HEADER_PREFIX = 'messaging.request.header.';
export const ATTR_MESSAGING_REQUEST_BODY = 'messaging.request.body';

// ---- exceptions -------------------------------------------------------------------------------

export const ATTR_EXCEPTION_TYPE = 'exception.type';
export const ATTR_EXCEPTION_MESSAGE = 'exception.message';
