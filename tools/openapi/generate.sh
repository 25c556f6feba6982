#!/usr/bin/env bash
# Regenerate the web app's API client from the API's own OpenAPI spec.
#   tools/openapi/generate.sh SPEC_JSON API_DIR
# writes the spec to SPEC_JSON and the TypeScript client (hey-api, fetch client) into API_DIR.
# `make client` targets web/openapi.json and web/src/api; `make client-check` targets a temp
# dir and diffs, so a client that no longer matches the API fails the tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
spec="$(realpath -m "$1")"
api="$(realpath -m "$2")"
mkdir -p "$(dirname "$spec")" "$api"

(cd "$root" && ${UV:-uv} run --quiet python -c '
import json, sys
from hoa.main import create_app
json.dump(create_app().openapi(), sys.stdout, indent=2, ensure_ascii=False)
print()
') > "$spec.tmp"
mv "$spec.tmp" "$spec"

cd "$here"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install openapi-ts -i "$spec" -o "$api" -c @hey-api/client-fetch --silent --no-log-file
