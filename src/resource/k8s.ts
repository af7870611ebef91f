/**
 * `k8s.*` resource attributes from what a pod can see without calling the Kubernetes API
 * (docs/resource.md, "Kubernetes"):
 *
 * - the downward-API variables the OpenTelemetry Operator injects (and users often copy):
 *   `OTEL_RESOURCE_ATTRIBUTES_POD_NAME`, `OTEL_RESOURCE_ATTRIBUTES_NODE_NAME`,
 *   `OTEL_RESOURCE_ATTRIBUTES_POD_UID`;
 * - inside a cluster (`KUBERNETES_SERVICE_HOST` is set in every pod) the pod name defaults to the
 *   pod's hostname, which Kubernetes sets to the pod name, and the namespace is read from the
 *   service-account namespace file when it is mounted.
 *
 * `OTEL_RESOURCE_ATTRIBUTES` (where the operator also writes `k8s.namespace.name`,
 * `k8s.deployment.name`, ...) is applied over these as configuration.
 */
import type { Env } from '../config/env';
import { readBounded } from './read-bounded';

/** Kubernetes names are DNS labels/subdomains (at most 253 chars); anything else is not taken. */
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const UID = /^[0-9a-fA-F-]{1,64}$/;

function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function name(value: string | undefined): string | undefined {
  return value !== undefined && K8S_NAME.test(value.toLowerCase()) ? value : undefined;
}

export interface K8sSources {
  env: Env;
  /** The pod's hostname (os.hostname()). */
  hostname: () => string;
  /** The mounted service-account namespace file. */
  namespaceFile: string;
}

export function detectK8s(sources: K8sSources): Record<string, string> {
  const { env } = sources;
  const attributes: Record<string, string> = {};
  const podNameVar = name(envValue(env, 'OTEL_RESOURCE_ATTRIBUTES_POD_NAME'));
  const inCluster = envValue(env, 'KUBERNETES_SERVICE_HOST') !== undefined || podNameVar !== undefined;
  const podName = podNameVar ?? (inCluster ? name(envValue(env, 'HOSTNAME') ?? safeHostname(sources.hostname)) : undefined);
  if (podName) attributes['k8s.pod.name'] = podName;
  const nodeName = name(envValue(env, 'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME'));
  if (nodeName) attributes['k8s.node.name'] = nodeName;
  const uid = envValue(env, 'OTEL_RESOURCE_ATTRIBUTES_POD_UID');
  if (uid && UID.test(uid)) attributes['k8s.pod.uid'] = uid;
  if (inCluster) {
    const namespace = name(readBounded(sources.namespaceFile, 256)?.trim());
    if (namespace) attributes['k8s.namespace.name'] = namespace;
  }
  return attributes;
}

function safeHostname(hostname: () => string): string | undefined {
  try {
    return hostname();
  } catch {
    return undefined;
  }
}
