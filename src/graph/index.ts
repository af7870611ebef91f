/** Graph paths: elements, path key hashing, the ck-route codec and propagator, context state. */
export * from './types';
export { pathKey, pathKeyFromCanonical, canonicalElement, fnv1a64Hex } from './path-key';
export {
  CK_ROUTE_HEADER,
  CK_ROUTE_VERSION,
  MAX_ROUTE_HEADER_LENGTH,
  parseRoute,
  formatRoute,
  isValidPathKey,
  type ParsedRoute,
} from './route-header';
export {
  PathState,
  PATH_STATE_KEY,
  linkHiddenRequestSpan,
  requestEntrySpan,
  getPathState,
  getExtractedPathState,
  contextWithPathState,
  getPathKey,
  pathStateOf,
  type PathCarrier,
} from './path-state';
export { CKRoutePropagator, createCompositePropagator } from './propagator';
export { destinationTemplate, routeTemplate } from './route-template';
export { adoptIncomingRoute, globalPropagatorHandlesRoute, outgoingRoute, refineEntryFromRoute } from './route-context';
export {
  normalizeHttpMethod,
  httpServiceElement,
  UNMATCHED_ROUTE,
  httpClientElement,
  grpcServiceElement,
  grpcClientElement,
  databaseElement,
  cacheElement,
  messagingElement,
} from './elements';
