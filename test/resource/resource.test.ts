/**
 * buildResource: detectors chosen by resource_detectors, container.id and k8s.* from fixture
 * files and downward-API variables, configured attributes over detected ones, identity
 * attributes, and detection that never throws or blocks on odd files (FIFO, directory, huge file).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig } from '../../src/config';
import type { CKOptions } from '../../src/config/types';
import { logger, type LogLevel } from '../../src/logger';
import { buildResource, detectK8s, type DetectionSources } from '../../src/resource';
import { readBounded } from '../../src/resource/read-bounded';

const FIXTURES = path.resolve(__dirname, '../../fixtures/resource');
const fixture = (name: string): string => path.join(FIXTURES, name);
const DOCKER_V1_ID = 'f461c56b9124f3a4d5092a6fc9fe7d6af871d42e79079cf3c969781cb050b364';

const config = (options: CKOptions = {}, env: Record<string, string> = {}) =>
  resolveConfig({ serviceName: 'res-test', strict: true, ...options }, env);

const inPod: Partial<DetectionSources> = {
  env: {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    OTEL_RESOURCE_ATTRIBUTES_POD_NAME: 'orders-7d9f8-abcde',
    OTEL_RESOURCE_ATTRIBUTES_NODE_NAME: 'node-a',
    OTEL_RESOURCE_ATTRIBUTES_POD_UID: '5d3c9b1e-0a7f-4c1e-9f2b-6e1f0c2d3a4b',
    HOSTNAME: 'orders-7d9f8-abcde',
  },
  cgroupFile: fixture('cgroup-v1-docker.txt'),
  mountinfoFile: fixture('mountinfo-host.txt'),
  k8sNamespaceFile: fixture('k8s-namespace'),
};

/** Captures log lines at every level while `fn` runs (sync). */
function captureLog<T>(fn: () => T): { result: T; lines: Array<[LogLevel, string]> } {
  const lines: Array<[LogLevel, string]> = [];
  logger.setLevel('debug');
  logger.setSink((level, message) => lines.push([level, message]));
  try {
    return { result: fn(), lines };
  } finally {
    logger.setSink(() => undefined);
    logger.setLevel('warn');
  }
}

test('in a pod: container.id, k8s.* from the downward API and the namespace file, beside host/os/process', (t) => {
  const attributes = buildResource(config(), inPod).attributes;
  t.is(attributes['container.id'], DOCKER_V1_ID);
  t.is(attributes['k8s.pod.name'], 'orders-7d9f8-abcde');
  t.is(attributes['k8s.node.name'], 'node-a');
  t.is(attributes['k8s.pod.uid'], '5d3c9b1e-0a7f-4c1e-9f2b-6e1f0c2d3a4b');
  t.is(attributes['k8s.namespace.name'], 'shop');
  t.is(attributes['host.name'], os.hostname());
  t.is(attributes['process.pid'], process.pid);
  t.is(attributes['os.type'], 'linux');
  t.is(attributes['service.name'], 'res-test');
  t.is(attributes['telemetry.distro.name'], 'ck-agent');
  t.regex(String(attributes['service.instance.id']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.is(attributes['service.version'], '0.1.0', 'the app package.json (here: the repo root)');
});

test('in a cluster without the operator variables the pod name is the pod hostname', (t) => {
  const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', HOSTNAME: 'web-5c6d-xyz12' };
  t.deepEqual(detectK8s({ env, hostname: () => 'ignored', namespaceFile: fixture('k8s-namespace') }), {
    'k8s.pod.name': 'web-5c6d-xyz12',
    'k8s.namespace.name': 'shop',
  });
  t.deepEqual(
    detectK8s({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, hostname: () => 'from-os-7f', namespaceFile: fixture('missing') }),
    {
      'k8s.pod.name': 'from-os-7f',
    }
  );
});

test('outside Kubernetes nothing k8s.* is invented from the hostname', (t) => {
  t.deepEqual(detectK8s({ env: { HOSTNAME: 'laptop' }, hostname: () => 'laptop', namespaceFile: fixture('k8s-namespace') }), {});
  const attributes = buildResource(config(), {
    env: {},
    cgroupFile: fixture('cgroup-host.txt'),
    mountinfoFile: fixture('mountinfo-host.txt'),
  }).attributes;
  t.false(Object.keys(attributes).some((k) => k.startsWith('k8s.')));
  t.is(attributes['container.id'], undefined);
});

test('invalid downward-API values are not taken', (t) => {
  const env = {
    OTEL_RESOURCE_ATTRIBUTES_POD_NAME: 'bad name\n',
    OTEL_RESOURCE_ATTRIBUTES_NODE_NAME: 'x'.repeat(300),
    OTEL_RESOURCE_ATTRIBUTES_POD_UID: '$(POD_UID)',
  };
  t.deepEqual(detectK8s({ env, hostname: () => 'h', namespaceFile: fixture('missing') }), {});
});

test('OTEL_RESOURCE_ATTRIBUTES (what the operator writes) wins over detected values', (t) => {
  const c = config({}, { OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=p,k8s.namespace.name=n,k8s.deployment.name=orders' });
  const attributes = buildResource(c, inPod).attributes;
  t.is(attributes['k8s.pod.name'], 'p');
  t.is(attributes['k8s.namespace.name'], 'n');
  t.is(attributes['k8s.deployment.name'], 'orders');
  t.is(attributes['k8s.node.name'], 'node-a', 'detected values that are not configured stay');
  t.is(attributes['container.id'], DOCKER_V1_ID);
});

test('resource_detectors none: no detection, identity and configured attributes stay', (t) => {
  const attributes = buildResource(config({ resourceDetectors: [], resourceAttributes: { team: 'core' } }), inPod).attributes;
  for (const key of ['container.id', 'k8s.pod.name', 'host.name', 'host.arch', 'os.type', 'process.pid', 'process.runtime.name']) {
    t.is(attributes[key], undefined, key);
  }
  t.is(attributes['service.name'], 'res-test');
  t.is(attributes['team'], 'core');
  t.truthy(attributes['service.instance.id']);
  t.is(attributes['telemetry.sdk.language'], 'nodejs');
});

test('resource_detectors picks detectors one by one', (t) => {
  const onlyContainer = buildResource(config({ resourceDetectors: ['container'] }), inPod).attributes;
  t.is(onlyContainer['container.id'], DOCKER_V1_ID);
  t.is(onlyContainer['k8s.pod.name'], undefined);
  t.is(onlyContainer['host.name'], undefined);
  const hostAndK8s = buildResource(config({ resourceDetectors: ['host', 'k8s'] }), inPod).attributes;
  t.is(hostAndK8s['container.id'], undefined);
  t.is(hostAndK8s['k8s.pod.name'], 'orders-7d9f8-abcde');
  t.is(hostAndK8s['host.name'], os.hostname());
  t.is(hostAndK8s['process.pid'], undefined);
});

test('service.instance.id is the same for every resource of the process', (t) => {
  const a = buildResource(config(), { env: {} }).attributes['service.instance.id'];
  const b = buildResource(config({ serviceName: 'other' }), { env: {} }).attributes['service.instance.id'];
  t.truthy(a);
  t.is(a, b);
});

test('odd files never throw nor block: FIFO, directory, unreadable; failures are debug lines only', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ck-resource-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'cgroup-fifo');
  execFileSync('mkfifo', [fifo]); // nobody ever writes to it: a blocking read would hang the test
  const { result, lines } = captureLog(() =>
    buildResource(config(), { env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, cgroupFile: fifo, mountinfoFile: dir, k8sNamespaceFile: fifo })
  );
  t.is(result.attributes['container.id'], undefined);
  t.is(result.attributes['k8s.namespace.name'], undefined);
  t.deepEqual(
    lines.filter(([level]) => level !== 'debug'),
    [],
    'no warning: not being in a container is normal'
  );
  t.true(
    lines.some(([, m]) => m.includes(dir)),
    'the unreadable mountinfo path is named at debug level'
  );
});

test('reads are bounded: a huge file is read only up to the bound, in whole lines', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ck-resource-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'big');
  const filler = '5:memory:/user.slice\n'.repeat(200_000); // ~4 MB of host lines
  fs.writeFileSync(file, filler + `0::/system.slice/docker-${DOCKER_V1_ID}.scope\n`);
  t.is(
    buildResource(config({ resourceDetectors: ['container'] }), { cgroupFile: file, mountinfoFile: fixture('mountinfo-host.txt') })
      .attributes['container.id'],
    undefined,
    'the id past the 64 KiB bound is never read'
  );
  const text = readBounded(file, 1000)!;
  t.true(text.length <= 1000);
  t.true(text.endsWith('\n'));
  t.true(
    text
      .split('\n')
      .slice(0, -1)
      .every((line) => line === '5:memory:/user.slice')
  );
});
