/**
 * The one list of CK instrumentations: config validation (`instrumentations`), the zero-code
 * start and the public exports all read it. Classes are loaded lazily: listing or validating
 * names loads no instrumentation code and no upstream package.
 */
import type { CKInstrumentation } from './base';

type CKInstrumentationClass = new () => CKInstrumentation;

export interface InstrumentationEntry {
  /** Public class name (exported from the package root). */
  readonly className: string;
  /**
   * Modules the app must be able to load for the zero-code start to enable it (empty: built into
   * Node). One is enough.
   */
  readonly modules: readonly string[];
  /** Loads the class (and with it the upstream instrumentation package). */
  load(): CKInstrumentationClass;
}

/** Every instrumentation name, in the order the zero-code start enables them. */
export const INSTRUMENTATION_NAMES = [
  'http',
  'undici',
  'express',
  'koa',
  'fastify',
  'grpc',
  'ioredis',
  'redis',
  'mongodb',
  'pg',
  'mysql2',
  'amqplib',
  'kafkajs',
] as const;

export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading is the point of this table */
export const INSTRUMENTATIONS: Readonly<Record<InstrumentationName, InstrumentationEntry>> = {
  http: {
    className: 'CKHttpInstrumentation',
    modules: [],
    load: () => (require('./http') as typeof import('./http')).CKHttpInstrumentation,
  },
  undici: {
    className: 'CKUndiciInstrumentation',
    modules: [],
    load: () => (require('./undici') as typeof import('./undici')).CKUndiciInstrumentation,
  },
  express: {
    className: 'CKExpressInstrumentation',
    modules: ['express'],
    load: () => (require('./express') as typeof import('./express')).CKExpressInstrumentation,
  },
  grpc: {
    className: 'CKGrpcInstrumentation',
    modules: ['@grpc/grpc-js'],
    load: () => (require('./grpc') as typeof import('./grpc')).CKGrpcInstrumentation,
  },
  ioredis: {
    className: 'CKIORedisInstrumentation',
    modules: ['ioredis'],
    load: () => (require('./ioredis') as typeof import('./ioredis')).CKIORedisInstrumentation,
  },
  mongodb: {
    className: 'CKMongoDBInstrumentation',
    modules: ['mongodb'],
    load: () => (require('./mongodb') as typeof import('./mongodb')).CKMongoDBInstrumentation,
  },
  pg: {
    className: 'CKPgInstrumentation',
    modules: ['pg'],
    load: () => (require('./pg') as typeof import('./pg')).CKPgInstrumentation,
  },
  mysql2: {
    className: 'CKMySQL2Instrumentation',
    modules: ['mysql2'],
    load: () => (require('./mysql2') as typeof import('./mysql2')).CKMySQL2Instrumentation,
  },
  redis: {
    className: 'CKRedisInstrumentation',
    modules: ['redis', '@redis/client'],
    load: () => (require('./redis') as typeof import('./redis')).CKRedisInstrumentation,
  },
  koa: {
    className: 'CKKoaInstrumentation',
    modules: ['koa'],
    load: () => (require('./koa') as typeof import('./koa')).CKKoaInstrumentation,
  },
  fastify: {
    className: 'CKFastifyInstrumentation',
    modules: ['fastify'],
    load: () => (require('./fastify') as typeof import('./fastify')).CKFastifyInstrumentation,
  },
  amqplib: {
    className: 'CKAmqplibInstrumentation',
    modules: ['amqplib'],
    load: () => (require('./amqplib') as typeof import('./amqplib')).CKAmqplibInstrumentation,
  },
  kafkajs: {
    className: 'CKKafkaJsInstrumentation',
    modules: ['kafkajs'],
    load: () => (require('./kafkajs') as typeof import('./kafkajs')).CKKafkaJsInstrumentation,
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

export function isInstrumentationName(name: string): name is InstrumentationName {
  return Object.prototype.hasOwnProperty.call(INSTRUMENTATIONS, name);
}
