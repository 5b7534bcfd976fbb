#!/usr/bin/env bash
# Installs the npm packages the tests use (third_party/npm/package.json, pinned by its
# package-lock.json: kafkajs 2.2.4, pure JavaScript) into third_party/npm/node_modules, which git
# ignores and //third_party/npm:kafkajs hands to the tests. Idempotent: returns at once when the
# pinned versions are installed. Uses the node and npm on PATH; only when there is no `node`
# does it install Debian's nodejs and npm (a node from elsewhere, e.g. NodeSource's, conflicts
# with Debian's npm package, so it is never replaced).
set -euo pipefail
cd "$(dirname "$0")/../third_party/npm"

installed_version() {
  node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { console.log("") }' \
    "$PWD/node_modules/$1/package.json"
}

if ! command -v node >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-npm: no node on PATH; installing Debian's nodejs and npm" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >/dev/null
fi
command -v npm >/dev/null 2>&1 || { echo "install-npm: node is on PATH but npm is not" >&2; exit 1; }

# Every dependency pinned in package.json already present at its version: nothing to do.
want=$(node -e 'const d = require("./package.json").dependencies;
  for (const [n, v] of Object.entries(d)) console.log(n + " " + v)')
all_there=1
while read -r name version; do
  [ "$(installed_version "$name")" = "$version" ] || all_there=0
done <<<"$want"
[ "$all_there" = 1 ] && exit 0

echo "install-npm: npm ci in third_party/npm ($(tr '\n' ' ' <<<"$want"))" >&2
# npm ci installs exactly the lockfile (integrity-checked) and nothing else; no scripts run.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
while read -r name version; do
  got=$(installed_version "$name")
  [ "$got" = "$version" ] || { echo "install-npm: $name is '$got' after npm ci, want $version" >&2; exit 1; }
done <<<"$want"
