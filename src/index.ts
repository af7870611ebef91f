/**
 * ck-agent public API. Everything named here is a contract (shared/spec/architecture.md).
 */
export { init, CKAgent, getAgent } from './agent';
export type { CKConfig, CKOptions } from './config/types';
export { ConfigError } from './config';
export { CKRoutePropagator, getPathKey } from './graph';
export type { GraphElement, ElementType } from './graph/types';
export { registerFilter, unregisterFilter } from './helpers/filters';
export type { CKFilter } from './helpers/filters';
export { CKHttpInstrumentation } from './wrappers/http';
export { CKExpressInstrumentation } from './wrappers/express';
export { CKGrpcInstrumentation } from './wrappers/grpc';
export { CKIORedisInstrumentation } from './wrappers/ioredis';
export { CKMongoDBInstrumentation } from './wrappers/mongodb';
export { CKPgInstrumentation } from './wrappers/pg';
export { CKMySQL2Instrumentation } from './wrappers/mysql2';
export { CKTracerProvider, CKSpan } from './trace';
