export { CKGraphSpanProcessor, type GraphSpanProcessorOptions } from './graph-span-processor';
export { MapperRegistry, registerMapper, unregisterMapper, type MapperRegistryOptions, type SpanMapper } from './mapper-registry';
export { defaultMapperRegistry, databaseMapper, grpcClientMapper, grpcServerMapper, httpClientMapper, httpServerMapper } from './mappers';
export { PeerServiceResolver, withPeerService, withPeerServices, PEER_SERVICE } from './peer-service';
