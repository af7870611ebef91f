/**
 * ck-agent public API. Everything named here is a contract (docs/architecture.md).
 */
export { init, CKAgent, getAgent } from './agent';
export type { CKConfig, CKOptions } from './config/types';
export { ConfigError } from './config';
export { CKRoutePropagator, getPathKey } from './graph';
export type { GraphElement, ElementType, ElementRole } from './graph/types';
export { registerMapper, unregisterMapper } from './processors/mapper-registry';
export type { SpanMapper } from './processors/mapper-registry';
export { SamplingDecision } from '@opentelemetry/sdk-trace-base';
export type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace-base';
export { registerFilter, unregisterFilter } from './filters/registry';
export type { CKFilter } from './filters/registry';
export { CKHttpInstrumentation } from './instrumentations/http';
export { CKUndiciInstrumentation } from './instrumentations/undici';
export { CKExpressInstrumentation } from './instrumentations/express';
export { CKGrpcInstrumentation } from './instrumentations/grpc';
export { CKIORedisInstrumentation } from './instrumentations/ioredis';
export { CKMongoDBInstrumentation } from './instrumentations/mongodb';
export { CKPgInstrumentation } from './instrumentations/pg';
export { CKMySQL2Instrumentation } from './instrumentations/mysql2';
export { CKRedisInstrumentation } from './instrumentations/redis';
export { CKKoaInstrumentation } from './instrumentations/koa';
export { CKFastifyInstrumentation } from './instrumentations/fastify';
export { CKAmqplibInstrumentation } from './instrumentations/amqplib';
export { CKKafkaJsInstrumentation } from './instrumentations/kafkajs';
export { CKTracerProvider, CKSpan } from './trace';
