/**
 * `container.id` from the files a containerised Linux process can read about itself
 * (docs/resource.md, "Container"):
 *
 * 1. `/proc/self/cgroup`, cgroup v1 (`12:pids:/docker/<id>`, `/kubepods/<qos>/pod<uid>/<id>`) or
 *    cgroup v2 without a cgroup namespace (`0::/system.slice/docker-<id>.scope`,
 *    `.../cri-containerd-<id>.scope`, `.../crio-<id>.scope`, `.../libpod-<id>.scope/container`);
 * 2. else `/proc/self/mountinfo`: with cgroup v2 and a cgroup namespace the cgroup path is just
 *    `/`, but the runtime bind-mounts `/etc/hostname` (and hosts, resolv.conf) from its per-container
 *    directory, `.../containers/<id>/hostname` (Docker) or `.../overlay-containers/<id>/userdata/...`
 *    (Podman).
 *
 * Container ids are 64 lower-case hex characters in every runtime named above; nothing else is
 * taken, so a host path that happens to contain hex never becomes a container id.
 */

const CONTAINER_ID = /^[0-9a-f]{64}$/;
/** Runtime prefixes of a systemd scope or cgroup directory name. */
const SCOPE_PREFIXES = ['docker-', 'cri-containerd-', 'crio-', 'libpod-', 'containerd-'];
/** Mount points a runtime fills from its per-container directory. */
const CONTAINER_MOUNT_POINTS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
/** Directory names that are followed by the container id in a runtime's storage path. */
const CONTAINER_DIRS = new Set(['containers', 'overlay-containers']);

/** A container id from one cgroup path segment: `<id>`, `docker-<id>.scope`, `cri-containerd:<id>`. */
function idFromSegment(segment: string): string | undefined {
  let s = segment;
  const colon = s.lastIndexOf(':'); // containerd with the systemd driver: `...:cri-containerd:<id>`
  if (colon >= 0) s = s.slice(colon + 1);
  if (s.endsWith('.scope')) s = s.slice(0, -'.scope'.length);
  for (const prefix of SCOPE_PREFIXES) {
    if (s.startsWith(prefix)) {
      s = s.slice(prefix.length);
      break;
    }
  }
  return CONTAINER_ID.test(s) ? s : undefined;
}

/** The container id in `/proc/self/cgroup` text (v1 or v2), innermost first; undefined when none. */
export function containerIdFromCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    // hierarchy-id:controllers:path; the path itself may contain ':'.
    const first = line.indexOf(':');
    const second = first >= 0 ? line.indexOf(':', first + 1) : -1;
    if (second < 0) continue;
    const segments = line
      .slice(second + 1)
      .trim()
      .split('/');
    // Innermost first: the id may be followed by a sub-cgroup (`libpod-<id>.scope/container`).
    for (let i = segments.length - 1; i >= 0; i--) {
      const id = idFromSegment(segments[i]);
      if (id) return id;
    }
  }
  return undefined;
}

/** The container id in `/proc/self/mountinfo` text; undefined when none. */
export function containerIdFromMountinfo(text: string): string | undefined {
  for (const line of text.split('\n')) {
    // mount-id parent-id major:minor root mount-point options ... - fstype source super-options
    const fields = line.split(' ');
    if (fields.length < 5 || !CONTAINER_MOUNT_POINTS.has(fields[4])) continue;
    const parts = fields[3].split('/');
    for (let i = 0; i < parts.length - 1; i++) {
      if (CONTAINER_DIRS.has(parts[i]) && CONTAINER_ID.test(parts[i + 1])) return parts[i + 1];
    }
  }
  return undefined;
}
