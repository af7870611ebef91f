/**
 * The resource every CK span and metric carries (docs/resource.md): service identity from
 * config, a per-process `service.instance.id`, the ck-agent distro, and what the detectors of
 * `resource_detectors` find: host, os, process (upstream detectors), `container.id` and `k8s.*`
 * (ours, synchronous, bounded file reads). `OTEL_RESOURCE_ATTRIBUTES` (the `env` detector) is
 * resolved into `config.resourceAttributes` by the config layer.
 *
 * Detection never throws and never blocks startup: every detector is guarded, and a failure is
 * a debug line, not a warning (running outside a container is not a problem).
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import {
  defaultResource,
  detectResources,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  type ResourceDetector,
  type Resource,
} from '@opentelemetry/resources';
import { findAppPackage } from '../config';
import type { Env } from '../config/env';
import { RESOURCE_DETECTOR_NAMES, type CKConfig, type ResourceDetectorName } from '../config/types';
import { describeError, logger } from '../logger';
import { packageVersion } from '../version';
import { containerIdFromCgroup, containerIdFromMountinfo } from './container';
import { detectK8s } from './k8s';
import { readBounded } from './read-bounded';

export { containerIdFromCgroup, containerIdFromMountinfo } from './container';
export { detectK8s } from './k8s';

/** Stable for the life of the process, so restarts show up as new instances. */
const SERVICE_INSTANCE_ID = randomUUID();

export const DISTRO_NAME = 'ck-agent';
export const DISTRO_VERSION: string = packageVersion();

/** Where detection reads from. Tests point these at fixture files (see overrideDetectionSources). */
export interface DetectionSources {
  env: Env;
  cgroupFile: string;
  mountinfoFile: string;
  k8sNamespaceFile: string;
  hostname: () => string;
}

const DEFAULT_SOURCES: Omit<DetectionSources, 'env'> = {
  cgroupFile: '/proc/self/cgroup',
  mountinfoFile: '/proc/self/mountinfo',
  k8sNamespaceFile: '/var/run/secrets/kubernetes.io/serviceaccount/namespace',
  hostname: () => os.hostname(),
};

/** Bounds of the detection reads: a cgroup file is a few lines; mountinfo of a busy node is larger. */
const CGROUP_MAX_BYTES = 64 * 1024;
const MOUNTINFO_MAX_BYTES = 512 * 1024;

let overrides: Partial<DetectionSources> | undefined;

/**
 * @internal For tests only (not part of the public API, deliberately not an env variable that a
 * user could set by accident): resource detection of agents created after this call reads from
 * the given sources. Returns a function that restores the defaults.
 */
export function overrideDetectionSources(sources: Partial<DetectionSources>): () => void {
  overrides = { ...sources };
  return () => {
    overrides = undefined;
  };
}

const UPSTREAM_DETECTORS: ReadonlyArray<[ResourceDetectorName, ResourceDetector]> = [
  ['host', hostDetector],
  ['os', osDetector],
  ['process', processDetector],
];

export function buildResource(config: CKConfig, sources: Partial<DetectionSources> = {}): Resource {
  const from: DetectionSources = { env: process.env, ...DEFAULT_SOURCES, ...overrides, ...sources };
  const enabled = new Set<ResourceDetectorName>(config.resourceDetectors ?? RESOURCE_DETECTOR_NAMES);
  const detected: Record<string, string> = {};
  if (enabled.has('container')) guarded('container', () => Object.assign(detected, detectContainer(from)));
  if (enabled.has('k8s'))
    guarded('k8s', () =>
      Object.assign(detected, detectK8s({ env: from.env, hostname: from.hostname, namespaceFile: from.k8sNamespaceFile }))
    );

  let upstream: Resource = resourceFromAttributes({});
  const detectors = UPSTREAM_DETECTORS.filter(([name]) => enabled.has(name)).map(([, detector]) => detector);
  if (detectors.length > 0) {
    guarded('host/os/process', () => {
      upstream = detectResources({ detectors });
    });
  }

  const identity: Record<string, string> = {
    'service.instance.id': SERVICE_INSTANCE_ID,
    'telemetry.distro.name': DISTRO_NAME,
    'telemetry.distro.version': DISTRO_VERSION,
  };
  const appVersion = findAppPackage()?.version;
  if (appVersion) identity['service.version'] = appVersion;
  // Later merges win: configured attributes (OTEL_RESOURCE_ATTRIBUTES included) over detected
  // ones, and the resolved service name over any `service.name` in resource attributes.
  return defaultResource()
    .merge(upstream)
    .merge(resourceFromAttributes(detected))
    .merge(resourceFromAttributes(identity))
    .merge(resourceFromAttributes({ ...config.resourceAttributes }))
    .merge(resourceFromAttributes({ 'service.name': config.serviceName }));
}

/** `container.id` from cgroup, else mountinfo (see container.ts); {} outside a container. */
export function detectContainer(sources: Pick<DetectionSources, 'cgroupFile' | 'mountinfoFile'>): Record<string, string> {
  const cgroup = readBounded(sources.cgroupFile, CGROUP_MAX_BYTES);
  let id = cgroup !== undefined ? containerIdFromCgroup(cgroup) : undefined;
  if (!id) {
    const mountinfo = readBounded(sources.mountinfoFile, MOUNTINFO_MAX_BYTES);
    id = mountinfo !== undefined ? containerIdFromMountinfo(mountinfo) : undefined;
  }
  if (!id) logger.debug('resource detection: no container id found (not running in a container, or an unknown runtime)');
  return id ? { 'container.id': id } : {};
}

function guarded(detector: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.debug(`resource detector ${detector} failed and was skipped: ${describeError(err)}`);
  }
}
