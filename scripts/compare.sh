#!/usr/bin/env bash
# Installs the workspace and runs the main job: the MIGRATE, MSRD and renegotiate designs side by
# side on the simulated kernel. Extra arguments go to `mip6sec compare` (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NPM_CONFIG_LOGLEVEL=error
npm install --no-audit --no-fund >/dev/null
npx --no nx run-many -t build --projects=@mip6sec/cli --output-style=static >/dev/null
exec node apps/cli/dist/main.js compare "$@"
