#!/usr/bin/env bash
# Installs the programs the tests drive (the AWS CLI, Docker, a registry) and
# starts the services among them, then prints `export` lines for them:
#   - a Docker engine with its own data root that leaves the host network
#     alone (no iptables, no forwarding, no bridge);
#   - a Docker registry on loopback with htpasswd auth whose user and
#     password are the ones the AWS emulator's ECR token decodes to.
# Usage: eval "$(scripts/services.sh)". Installs Debian's packages when it
# can (root with apt-get); otherwise says what is missing and exits 1.
set -euo pipefail

base=${FLIGHTCHECK_SERVICES_DIR:-/tmp/flightcheck-services}
registry_port=${FLIGHTCHECK_REGISTRY_PORT:-5055}
# moto's ECR answers GetAuthorizationToken with AWS:<account>-auth-token.
registry_user=AWS
registry_password=123456789012-auth-token

say() { echo "services: $*" >&2; }

install_missing() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v curl >/dev/null || missing+=(curl)
  # The AWS CLI v2 for check 1 (Debian packages version 2).
  command -v aws >/dev/null || missing+=(awscli)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]})"
    exit 1
  fi
  say "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

start_docker() {
  local sock=$base/docker.sock
  if DOCKER_HOST=unix://$sock docker version >/dev/null 2>&1; then return 0; fi
  say "starting dockerd (log: $base/dockerd.log)"
  rm -f "$base/docker.pid"
  nohup dockerd \
    --iptables=false --ip-forward=false --bridge=none \
    --data-root "$base/docker-root" --exec-root "$base/docker-exec" \
    --pidfile "$base/docker.pid" -H "unix://$sock" \
    >"$base/dockerd.log" 2>&1 </dev/null &
  if ! wait_for 60 env DOCKER_HOST="unix://$sock" docker version; then
    say "dockerd did not start; the end of its log:"
    tail -20 "$base/dockerd.log" >&2
    exit 1
  fi
}

registry_answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$registry_port/v2/")
  [ "$code" = 401 ]
}

start_registry() {
  if registry_answers; then return 0; fi
  say "starting docker-registry on 127.0.0.1:$registry_port (log: $base/registry.log)"
  # -i reads the password from standard input, not the argument list.
  printf '%s' "$registry_password" | htpasswd -iBn "$registry_user" >"$base/htpasswd"
  cat >"$base/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $base/registry-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$registry_port
auth:
  htpasswd:
    realm: flightcheck-tests
    path: $base/htpasswd
YAML
  nohup docker-registry serve "$base/registry.yml" >"$base/registry.log" 2>&1 </dev/null &
  if ! wait_for 30 registry_answers; then
    say "docker-registry did not start; the end of its log:"
    tail -20 "$base/registry.log" >&2
    exit 1
  fi
}

install_cli_v1() {
  # AWS CLI v1 pins botocore exactly, so it lives in a virtual environment of
  # its own; check 1's tests run the real v1 from there.
  local venv=$base/awscli-v1
  if [ ! -x "$venv/bin/aws" ]; then
    say "installing AWS CLI v1 into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'awscli<2' >&2
  fi
}

mkdir -p "$base"
install_missing
install_cli_v1
start_docker
start_registry
echo "export FLIGHTCHECK_TEST_DOCKER_HOST=unix://$base/docker.sock"
echo "export FLIGHTCHECK_TEST_REGISTRY=127.0.0.1:$registry_port"
echo "export FLIGHTCHECK_TEST_AWS_CLI_V1=$base/awscli-v1/bin/aws"
