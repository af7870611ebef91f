/**
 * The resource every CK span and metric carries: service identity from config, a per-process
 * `service.instance.id`, the ck-agent distro, and host/process/os detection.
 */
import { randomUUID } from 'crypto';
import {
  defaultResource,
  detectResources,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  type Resource,
} from '@opentelemetry/resources';
import { findAppPackage } from './config';
import type { CKConfig } from './config/types';
import { describeError, logger } from './logger';
import { packageVersion } from './version';

/** Stable for the life of the process, so restarts show up as new instances. */
const SERVICE_INSTANCE_ID = randomUUID();

export const DISTRO_NAME = 'ck-agent';
export const DISTRO_VERSION: string = packageVersion();

export function buildResource(config: CKConfig): Resource {
  let detected: Resource;
  try {
    // The env detector is left out on purpose: OTEL_RESOURCE_ATTRIBUTES is already resolved
    // into config.resourceAttributes with the agent's precedence rules.
    detected = detectResources({ detectors: [hostDetector, osDetector, processDetector] });
  } catch (err) {
    logger.warn(`resource detection failed, continuing without host/process attributes: ${describeError(err)}`);
    detected = resourceFromAttributes({});
  }
  const identity: Record<string, string> = {
    'service.instance.id': SERVICE_INSTANCE_ID,
    'telemetry.distro.name': DISTRO_NAME,
    'telemetry.distro.version': DISTRO_VERSION,
  };
  const appVersion = findAppPackage()?.version;
  if (appVersion) identity['service.version'] = appVersion;
  // Later merges win: configured attributes over detected ones, and the resolved service name
  // over any `service.name` a file or init option put into resource attributes.
  return defaultResource()
    .merge(detected)
    .merge(resourceFromAttributes(identity))
    .merge(resourceFromAttributes({ ...config.resourceAttributes }))
    .merge(resourceFromAttributes({ 'service.name': config.serviceName }));
}
