export { CKGraphSpanProcessor } from './graph-span-processor';
export { MapperRegistry, type SpanMapper } from './mapper-registry';
export { defaultMapperRegistry, databaseMapper, grpcClientMapper, grpcServerMapper, httpClientMapper, httpServerMapper } from './mappers';
