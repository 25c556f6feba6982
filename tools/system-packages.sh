#!/usr/bin/env bash
# Debian packages the tests drive for real: a browser (the web app's tests), nginx and
# pgbouncer (the load balancer and pooler configs under ops/), the PostgreSQL server and client
# programs (a streaming replica of the tests' own, pg_dump/pg_restore for backups), age
# (encrypted backups), Prometheus (promtool checks ops/prometheus; a real scrape test) and valgrind
# (the cost gate, `make bench-gate`). Installed when missing and this runs as root with apt-get;
# otherwise one line says what to install, and the tests that need them skip locally and fail in CI (CI=true).
set -euo pipefail
declare -A needs=(
  [chromium]=chromium
  [nginx]=nginx
  [pgbouncer]=pgbouncer
  [pg_dump]=postgresql-client
  [initdb]=postgresql
  [age]=age
  [promtool]=prometheus
  [valgrind]=valgrind
)
have() {
  command -v "$1" >/dev/null || [[ -x /usr/sbin/$1 ]] || compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null
}
missing=()
for command in "${!needs[@]}"; do
  have "$command" || missing+=("${needs[$command]}")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages for some tests: run 'sudo apt-get install ${missing[*]}'" >&2
fi
