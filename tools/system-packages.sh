#!/usr/bin/env bash
# Debian packages the test suite drives for real (a browser). Installed when missing and this
# runs as root with apt-get; otherwise one line says what to install, and the tests that need
# them skip locally and fail in CI (CI=true).
set -euo pipefail
declare -A needs=([chromium]=chromium)
missing=()
for command in "${!needs[@]}"; do
  command -v "$command" >/dev/null || missing+=("${needs[$command]}")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages for some tests: run 'sudo apt-get install ${missing[*]}'" >&2
fi
