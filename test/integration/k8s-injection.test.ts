/**
 * The Kubernetes injection, simulated without a cluster: the auto-instrumentation layout is built
 * (deploy/k8s/build-layout.js, what the image carries at /autoinstrumentation), copied with the
 * init container's `cp -r` into a folder named like the Operator's mount path, and the sample app
 * runs with the env the Operator and the kubelet give an annotated pod of deploy/k8s/sample-app/
 * deployment.yaml under deploy/k8s/instrumentation.yaml (fixtures/k8s/operator.ts), its exporter
 * endpoint pointed at a real OTLP receiver. The app has its own @opentelemetry/api (1.7.0, older
 * than the layout's): the injected copy brings its own and both share one registration.
 */
import test from 'ava';
import { execFileSync, spawn } from 'child_process';
import fs from 'fs';
import http from 'http';
import path from 'path';
import { parseAllDocuments } from 'yaml';
import {
  checkDeployment,
  checkInstrumentation,
  injectNodeJs,
  MOUNT_PATH,
  NODE_REQUIRE_ARGUMENT,
  resolveEnv,
  type PodPlacement,
} from '../../fixtures/k8s/operator';
import { startOtlpReceiver, type OtlpReceiver } from '../../fixtures/otlp/receiver';
import { makeTempDir } from '../../fixtures/temp-dir';

const root = path.join(__dirname, '../..');
const k8sDir = path.join(root, 'deploy/k8s');
const START_TIMEOUT_MS = 60_000;

const placement: PodPlacement = {
  namespace: 'shop',
  podName: 'ck-sample-app-6d8f7c9b5-x7k2p',
  nodeName: 'worker-1',
  podIP: '10.244.1.17',
  hostIP: '192.168.49.2',
  replicaSetName: 'ck-sample-app-6d8f7c9b5',
};

function readYaml(file: string): any[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
}

const instrumentationDoc = () => readYaml(path.join(k8sDir, 'instrumentation.yaml'))[0];
const deploymentDoc = () => readYaml(path.join(k8sDir, 'sample-app/deployment.yaml')).find((d) => d.kind === 'Deployment');

/** The layout, built once per test file, then "copied by the init container" into a mount-path folder. */
let mountDir = '';
let appDir = '';
let tempDir = '';
test.before(() => {
  const dir = (tempDir = makeTempDir('ck-k8s-'));
  const layout = path.join(dir, 'autoinstrumentation');
  execFileSync(process.execPath, [path.join(k8sDir, 'build-layout.js'), '--out', layout], { stdio: 'pipe' });
  mountDir = path.join(dir, path.basename(MOUNT_PATH));
  fs.mkdirSync(mountDir);
  execFileSync('cp', ['-r', `${layout}/.`, mountDir]);
  // The app image: the sample app, with its own (older) @opentelemetry/api in its node_modules.
  appDir = path.join(dir, 'app');
  fs.mkdirSync(path.join(appDir, 'node_modules/@opentelemetry'), { recursive: true });
  for (const file of ['server.js', 'package.json']) fs.copyFileSync(path.join(k8sDir, 'sample-app', file), path.join(appDir, file));
  fs.cpSync(path.join(root, 'node_modules/ck-fixture-otel-api-1-7'), path.join(appDir, 'node_modules/@opentelemetry/api'), {
    recursive: true,
  });
  fs.writeFileSync(path.join(appDir, 'preload.js'), "process.env.SAMPLE_PRELOAD_RAN = 'true';\n");
  // An ES-module entry (the Operator's --require still applies; the entry registers the loader hook).
  fs.writeFileSync(
    path.join(appDir, 'server.mjs'),
    "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nrequire('./server.js');\n"
  );
});

// Two copies of the layout are tens of thousands of files: removed here, while ava waits, rather
// than by makeTempDir's exit hook, which ava would report as a test file that failed to exit.
test.after.always(() => fs.promises.rm(tempDir, { recursive: true, force: true }));

function get(port: number, urlPath: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
      })
      .on('error', reject);
  });
}

interface PodRun {
  env: Record<string, string>;
  code: number | null;
  stderr: string;
  responses: Record<string, { status: number; body: any }>;
}

/** Runs the app as the pod would (env only from the pod spec), requests `/`, `/slow`, `/error`, then SIGTERM. */
async function runPod(receiver: OtlpReceiver, editDeployment: (d: any) => void = () => undefined, entry = 'server.js'): Promise<PodRun> {
  const instrumentation = instrumentationDoc();
  instrumentation.spec.exporter.endpoint = receiver.grpcUrl;
  const deployment = deploymentDoc();
  editDeployment(deployment);
  const injected = injectNodeJs(instrumentation, deployment, placement);
  const env = resolveEnv(injected.env, placement);
  // The volume is mounted at MOUNT_PATH in the pod; here it is the temp folder of the same name.
  env.NODE_OPTIONS = env.NODE_OPTIONS.replace(MOUNT_PATH, mountDir);
  env.NODE_OPTIONS = env.NODE_OPTIONS.replace('./preload.js', path.join(appDir, 'preload.js'));
  const child = spawn(process.execPath, [entry], {
    cwd: appDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: appDir,
      ...(process.env.NODE_V8_COVERAGE ? { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE } : {}),
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the app did not start in time: ${stderr}`)), START_TIMEOUT_MS);
      child.stdout.on('data', (c) => {
        out += c;
        const match = /listening on port (\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the app exited with ${code}: ${stderr}`));
      });
    });
    const responses: PodRun['responses'] = {};
    for (const p of ['/', '/slow', '/error']) responses[p] = await get(port, p);
    child.kill('SIGTERM');
    return { env, code: await exited, stderr, responses };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

function assertTelemetry(t: any, receiver: OtlpReceiver) {
  const expectedResource = {
    'service.name': 'ck-sample-app',
    'service.version': '1.0.0',
    'service.instance.id': `shop.${placement.podName}.app`,
    'k8s.namespace.name': 'shop',
    'k8s.pod.name': placement.podName,
    'k8s.node.name': 'worker-1',
    'k8s.container.name': 'app',
    'k8s.deployment.name': 'ck-sample-app',
    'k8s.replicaset.name': placement.replicaSetName,
    'deployment.environment.name': 'production',
  };
  const calls = receiver.metrics().filter((m) => m.name === 'ck.path.calls');
  t.true(calls.length > 0, 'graph path metrics reached the OTLP receiver');
  for (const [key, value] of Object.entries(expectedResource)) t.is(calls[0].resource[key], value, key);
  const byElement = (metric: string, route: string) =>
    receiver.metrics().find((m) => m.name === metric && String(m.attributes['ck.element.name']).endsWith(` ${route}`));
  t.is(byElement('ck.path.calls', '/slow')?.value, 1);
  t.is(byElement('ck.path.errors', '/error')?.value, 1, 'the 500 is counted as an error');
  t.is(byElement('ck.path.errors', '/slow')?.value ?? 0, 0);

  const servers = receiver.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER');
  const server = (route: string) => servers.find((s) => s.attributes['url.path'] === route);
  t.is(server('/slow')?.attributes['ck.slow'], true, '/slow takes 150 ms, over the 100 ms threshold');
  t.is(server('/error')?.attributes['ck.error'], true);
  t.is(server('/error')?.status.code, 'STATUS_CODE_ERROR');
  // The app's own @opentelemetry/api 1.7.0 sees the injected agent's active span.
  t.is(server('/slow')?.attributes['app.route'], '/slow');
  t.is(server('/slow')?.resource['k8s.pod.name'], placement.podName);
}

test('the Operator-injected ck-agent exports metrics and spans with the k8s resource (app without NODE_OPTIONS)', async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  const run = await runPod(receiver, (d) => {
    const c = d.spec.template.spec.containers[0];
    c.env = c.env.filter((e: any) => e.name !== 'NODE_OPTIONS');
  });
  t.is(run.env.NODE_OPTIONS, NODE_REQUIRE_ARGUMENT.replace(MOUNT_PATH, mountDir));
  t.is(run.env.OTEL_PROPAGATORS, 'tracecontext,baggage');
  t.is(run.env.OTEL_TRACES_SAMPLER, 'parentbased_traceidratio');
  t.is(run.env.CK_REPORTING_TRACE_REPORTER_TYPE, 'OTLP', 'the CRD env reaches the container');
  t.is(run.code, 0, run.stderr);
  t.deepEqual(
    run.stderr.split('\n').filter((l) => /\[ck-agent\] (warn|error)/.test(l)),
    [],
    'no agent warning'
  );
  t.deepEqual(Object.fromEntries(Object.entries(run.responses).map(([p, r]) => [p, r.status])), { '/': 200, '/slow': 200, '/error': 500 });
  assertTelemetry(t, receiver);
});

test("an app's own NODE_OPTIONS (a heap limit and its own preload) keeps working with the appended --require", async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  const run = await runPod(receiver, (d) => {
    const nodeOptions = d.spec.template.spec.containers[0].env.find((e: any) => e.name === 'NODE_OPTIONS');
    nodeOptions.value += ' --require ./preload.js';
  });
  t.is(
    run.env.NODE_OPTIONS,
    `--max-old-space-size=192 --require ${path.join(appDir, 'preload.js')} --require ${mountDir}/autoinstrumentation.js`
  );
  t.is(run.code, 0, run.stderr);
  t.true(run.responses['/'].body.preload, "the app's own preload ran");
  t.deepEqual(
    run.stderr.split('\n').filter((l) => /\[ck-agent\] (warn|error)/.test(l)),
    []
  );
  assertTelemetry(t, receiver);
});

test('an ES-module entry starts with the injected agent and reports the same telemetry', async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  const run = await runPod(receiver, undefined, 'server.mjs');
  t.is(run.code, 0, run.stderr);
  t.deepEqual(
    run.stderr.split('\n').filter((l) => /\[ck-agent\] (warn|error)/.test(l)),
    [],
    'the loader hook registered without a warning'
  );
  assertTelemetry(t, receiver);
});

test('the manifests use only the Operator schema fields relied on; the simulated injection matches the Operator', (t) => {
  const instrumentation = instrumentationDoc();
  t.deepEqual(checkInstrumentation(instrumentation), []);
  t.deepEqual(checkDeployment(deploymentDoc(), instrumentation.metadata.name), []);
  // What the API server rejects is caught: an unknown field, an unquoted annotation, a bad enum.
  const bad = instrumentationDoc();
  bad.spec.nodejs.resources = { limits: { memory: '64Mi' } };
  bad.spec.propagators.push('ck-route');
  t.deepEqual(checkInstrumentation(bad), [
    'spec.propagators[2]: unsupported value "ck-route" (one of tracecontext, baggage, b3, b3multi, jaeger, xray, ottrace, none)',
    'unknown field "spec.nodejs.resources"',
  ]);
  const unquoted = deploymentDoc();
  unquoted.spec.template.metadata.annotations['instrumentation.opentelemetry.io/inject-nodejs'] = true;
  t.deepEqual(checkDeployment(unquoted, 'ck-agent'), [
    'spec.template.metadata.annotations["instrumentation.opentelemetry.io/inject-nodejs"]: annotation values are strings (quote "true")',
  ]);
  const injected = injectNodeJs(instrumentation, deploymentDoc(), placement);
  t.deepEqual(injected.initCommand, ['cp', '-r', '/autoinstrumentation/.', '/otel-auto-instrumentation-nodejs']);
  t.is(injected.initImage, instrumentation.spec.nodejs.image);
  const env = resolveEnv(injected.env, placement);
  t.is(env.OTEL_SERVICE_NAME, 'ck-sample-app');
  t.is(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel-collector.opentelemetry.svc.cluster.local:4317');
  t.is(
    env.OTEL_RESOURCE_ATTRIBUTES,
    'deployment.environment.name=production,k8s.container.name=app,k8s.deployment.name=ck-sample-app,' +
      `k8s.namespace.name=shop,k8s.node.name=worker-1,k8s.pod.name=${placement.podName},` +
      `k8s.replicaset.name=${placement.replicaSetName},service.instance.id=shop.${placement.podName}.app,service.version=1.0.0`
  );
  t.is(injected.env[injected.env.length - 1].name, 'OTEL_RESOURCE_ATTRIBUTES', 'moved last so its references resolve');
  // A NODE_OPTIONS from a ConfigMap makes the Operator skip the container.
  const fromConfigMap = deploymentDoc();
  fromConfigMap.spec.template.spec.containers[0].env = [
    { name: 'NODE_OPTIONS', valueFrom: { configMapKeyRef: { name: 'opts', key: 'node' } } },
  ];
  t.throws(() => injectNodeJs(instrumentation, fromConfigMap, placement), { message: /ValueFrom, envVar: NODE_OPTIONS/ });
});

test('the layout holds the entry, ck-agent and its own @opentelemetry/api, and fits the default 150Mi volume', (t) => {
  const manifest = JSON.parse(fs.readFileSync(path.join(mountDir, 'ck-layout.json'), 'utf8'));
  t.true(fs.existsSync(path.join(mountDir, 'autoinstrumentation.js')));
  t.true(fs.existsSync(path.join(mountDir, 'node_modules/ck-agent/build/src/register.js')));
  t.is(
    manifest.packages['@opentelemetry/api'],
    JSON.parse(fs.readFileSync(path.join(root, 'node_modules/@opentelemetry/api/package.json'), 'utf8')).version
  );
  t.is(
    manifest.packages['@opentelemetry/instrumentation-http'],
    require('../../package.json').dependencies['@opentelemetry/instrumentation-http']
  );
  t.false(fs.existsSync(path.join(mountDir, 'node_modules/ava')), 'no dev dependencies');
  const size = Number(execFileSync('du', ['-sk', mountDir], { encoding: 'utf8' }).split('\t')[0]) * 1024;
  t.true(size < 150 * 1024 * 1024, `${size} bytes`);
});

test('build-images.sh --dry-run prints one docker build per Node major', (t) => {
  const out = execFileSync(
    'bash',
    [path.join(k8sDir, 'build-images.sh'), '--dry-run', '--versions', '20,22,24', '--registry', 'mirror.example.com'],
    {
      encoding: 'utf8',
    }
  );
  const builds = out.split('\n').filter((l) => l.startsWith('docker build'));
  t.is(builds.length, 3);
  for (const major of [20, 22, 24]) {
    t.true(
      builds.some((b) => b.includes(`NODE_IMAGE=mirror.example.com/library/node:${major}-bookworm-slim`) && b.includes(`-node${major} `)),
      `Node ${major}`
    );
  }
  t.true(builds.every((b) => b.includes('-f deploy/k8s/Dockerfile')));
});
