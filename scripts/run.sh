#!/usr/bin/env bash
# Sets up (if needed), builds and starts meshwork-server with its embedded defaults: data in
# ./meshwork-data (certificates generated on first start), HTTPS on 443 or the next free port,
# HTTP redirect on 80. Switches are passed through: scripts/run.sh --port 8443 --cert mesh.example.com
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh"
exec "$ROOT/build/bin/meshwork-server" --datapath "$PWD/meshwork-data" --filespath "$PWD/meshwork-files" "$@"
