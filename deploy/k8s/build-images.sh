#!/usr/bin/env bash
# Builds the ck-agent auto-instrumentation image once per Node major (deploy/k8s/Dockerfile).
#
#   deploy/k8s/build-images.sh [--versions 20,22,24] [--registry HOST] [--image NAME] [--tag TAG]
#                              [--push] [--offline] [--dry-run] [--retries N] [--retry-delay S]
#
#   --versions     Node majors, comma-separated (default 20,22,24)
#   --registry     pull the base images (node, busybox) from this registry or mirror
#                  (HOST/library/node:22-bookworm-slim); default: Docker Hub
#   --image        name of the built images (default ck-agent/autoinstrumentation-nodejs); put your
#                  registry in it to push there: registry.example.com/team/ck-autoinstrumentation-nodejs
#   --tag          version part of the tags (default: package.json version); images are tagged
#                  <image>:<tag>-node<major>, and <image>:<tag> for the highest major built
#   --push         docker push every tag after building
#   --offline      never pull: only base images already present locally are used; a version whose
#                  base image is missing, or no reachable Docker daemon at all, prints the commands
#                  it would run instead of building
#   --dry-run      print the docker commands, run nothing
#   --retries N, --retry-delay S   retry a failing build or push N times (default 3), S seconds apart (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."

versions="20,22,24"
registry=""
image="ck-agent/autoinstrumentation-nodejs"
tag="$(node -p "require('./package.json').version" 2>/dev/null || echo dev)"
push=false
offline=false
dry_run=false
retries=3
retry_delay=10

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --versions) versions="${2:?--versions needs a value}"; shift 2 ;;
    --versions=*) versions="${1#*=}"; shift ;;
    --registry) registry="${2:?--registry needs a value}"; shift 2 ;;
    --registry=*) registry="${1#*=}"; shift ;;
    --image) image="${2:?--image needs a value}"; shift 2 ;;
    --image=*) image="${1#*=}"; shift ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --tag=*) tag="${1#*=}"; shift ;;
    --push) push=true; shift ;;
    --offline) offline=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    --retries) retries="${2:?--retries needs a value}"; shift 2 ;;
    --retry-delay) retry_delay="${2:?--retry-delay needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-images: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

IFS=',' read -r -a majors <<< "$versions"
for major in "${majors[@]}"; do
  case "$major" in
    20|22|24) ;;
    *) echo "build-images: Node $major is not supported (20, 22, 24)" >&2; exit 2 ;;
  esac
done
highest=$(printf '%s\n' "${majors[@]}" | sort -n | tail -n1)
prefix=""
[ -n "$registry" ] && prefix="${registry%/}/library/"

daemon_ok=false
if ! $dry_run && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then daemon_ok=true; fi
if ! $dry_run && ! $daemon_ok; then
  if $offline; then
    echo "# no reachable Docker daemon: printing the commands instead (--offline)"
  else
    echo "build-images: no reachable Docker daemon (use --dry-run to print the commands)" >&2
    exit 1
  fi
fi

# Prints the command; runs it (with retries) unless printing only.
run() { # print_only, command...
  local print_only=$1; shift
  printf '%q ' "$@"; echo
  $print_only && return 0
  local attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$retries" ]; then echo "build-images: failed after $attempt attempts: $*" >&2; return 1; fi
    echo "build-images: attempt $attempt failed, retrying in ${retry_delay}s" >&2
    sleep "$retry_delay"; attempt=$((attempt + 1))
  done
}

status=0
for major in "${majors[@]}"; do
  node_image="${prefix}node:${major}-bookworm-slim"
  base_image="${prefix}busybox:1.37"
  print_only=$dry_run
  $daemon_ok || print_only=true
  pull_flag="--pull"
  if $offline; then
    pull_flag="--pull=false"
    if $daemon_ok && ! { docker image inspect "$node_image" >/dev/null 2>&1 && docker image inspect "$base_image" >/dev/null 2>&1; }; then
      echo "# Node $major: $node_image or $base_image is not present locally (--offline): printing only"
      print_only=true
    fi
  fi
  echo "# Node $major"
  tags=(-t "${image}:${tag}-node${major}")
  [ "$major" = "$highest" ] && tags+=(-t "${image}:${tag}")
  run "$print_only" docker build "$pull_flag" -f deploy/k8s/Dockerfile \
    --build-arg "NODE_IMAGE=${node_image}" --build-arg "BASE_IMAGE=${base_image}" \
    --label "org.opencontainers.image.version=${tag}" --label "io.ck-agent.node-major=${major}" \
    "${tags[@]}" . || { status=1; continue; }
  if $push; then
    run "$print_only" docker push "${image}:${tag}-node${major}" || status=1
    [ "$major" = "$highest" ] && { run "$print_only" docker push "${image}:${tag}" || status=1; }
  fi
done
exit "$status"
