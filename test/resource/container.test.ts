/**
 * container.id from sample /proc/self/cgroup (v1, v2) and /proc/self/mountinfo files
 * (fixtures/resource): each runtime's format, the cgroup-namespace fallback to mountinfo, and
 * files of a plain host that must give nothing.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { containerIdFromCgroup, containerIdFromMountinfo, detectContainer } from '../../src/resource';

const FIXTURES = path.resolve(__dirname, '../../fixtures/resource');
const fixture = (name: string): string => path.join(FIXTURES, name);
const read = (name: string): string => fs.readFileSync(fixture(name), 'utf8');

for (const [file, id] of [
  ['cgroup-v1-docker.txt', 'f461c56b9124f3a4d5092a6fc9fe7d6af871d42e79079cf3c969781cb050b364'],
  ['cgroup-v1-kubepods.txt', 'aca1beb664b6f1099d2e8d4b67de8d7ea035d1bb052b0a431435dcbe23d197be'],
  ['cgroup-v1-containerd-systemd.txt', 'd63ace6aa1fa6cb962b6a04a2b3add50b1682981fbcf5718b9eaf2b5e1bd8fc4'],
  ['cgroup-v2-docker.txt', '815c7d7f3e69f53b4f9d8ff18a4ff75196f34abf64b566c00d2b3f54bfd21f28'],
  ['cgroup-v2-crio.txt', 'b74cce74f7fc2ff10b3803e879ea7953c48e4b576aa248a26d3b24314103bb9c'],
  ['cgroup-v2-podman.txt', '707f5e30a50609e57f1e96523f1c32d9046ce0a19f690490564f4e450efd18b2'],
] as const) {
  test(`cgroup: ${file}`, (t) => {
    t.is(containerIdFromCgroup(read(file)), id);
  });
}

test('cgroup: a namespaced cgroup v2 path and a host cgroup give no id', (t) => {
  t.is(containerIdFromCgroup(read('cgroup-v2-namespaced.txt')), undefined);
  t.is(containerIdFromCgroup(read('cgroup-host.txt')), undefined);
});

test('cgroup: only 64-hex ids are taken, junk lines are skipped', (t) => {
  t.is(containerIdFromCgroup('garbage\n::\n3:cpu:/docker/abc123\n'), undefined);
  t.is(containerIdFromCgroup(`0::/system.slice/docker-${'A'.repeat(64)}.scope`), undefined, 'upper-case is not a runtime id');
  t.is(containerIdFromCgroup(`0::/x/${'f'.repeat(63)}`), undefined);
  t.is(containerIdFromCgroup(''), undefined);
});

test('mountinfo: Docker and Podman per-container mounts', (t) => {
  t.is(containerIdFromMountinfo(read('mountinfo-docker.txt')), '56f6a7ed6b0ba0556863268cba429ee8c87264208c1fb4912a9c247c30f9b5e6');
  t.is(containerIdFromMountinfo(read('mountinfo-podman.txt')), '096aa087131a6cc8c2b5c6647d78086ebe7d27b6b379eace4e5198816aa09035');
});

test('mountinfo: a host that merely mounts a container directory elsewhere has no id', (t) => {
  t.is(containerIdFromMountinfo(read('mountinfo-host.txt')), undefined);
});

test('detectContainer: cgroup first, mountinfo when the cgroup path is namespaced, nothing on a host', (t) => {
  t.deepEqual(detectContainer({ cgroupFile: fixture('cgroup-v1-docker.txt'), mountinfoFile: fixture('mountinfo-docker.txt') }), {
    'container.id': 'f461c56b9124f3a4d5092a6fc9fe7d6af871d42e79079cf3c969781cb050b364',
  });
  t.deepEqual(detectContainer({ cgroupFile: fixture('cgroup-v2-namespaced.txt'), mountinfoFile: fixture('mountinfo-docker.txt') }), {
    'container.id': '56f6a7ed6b0ba0556863268cba429ee8c87264208c1fb4912a9c247c30f9b5e6',
  });
  t.deepEqual(detectContainer({ cgroupFile: fixture('cgroup-host.txt'), mountinfoFile: fixture('mountinfo-host.txt') }), {});
  t.deepEqual(detectContainer({ cgroupFile: fixture('missing'), mountinfoFile: fixture('also-missing') }), {});
});
