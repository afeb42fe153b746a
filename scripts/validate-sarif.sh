#!/usr/bin/env bash
# Validates placecheck's SARIF output with Microsoft's SARIF multitool (npm
# @microsoft/sarif-multitool, run with npx): the SARIF 2.1.0 schema and spec rules (SARIF*) plus
# GitHub code scanning's ingestion rules (GH*), selected with --rule-kind "Gh;Sarif".
#
#   scripts/validate-sarif.sh            lint examples/cluster with the debug build and validate
#   scripts/validate-sarif.sh FILE       validate FILE
#
# Fails when the validator reports any error (warnings are printed). The multitool exits 0 even
# when it finds errors, so this reads its own SARIF report. Needs node/npx and the npm registry
# (the first run downloads the tool).
set -euo pipefail
cd "$(dirname "$0")/.."

MULTITOOL="@microsoft/sarif-multitool@${SARIF_MULTITOOL_VERSION:-5.7.0}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sarif=${1:-}
if [ -z "$sarif" ]; then
  cargo build --quiet --bin placecheck
  sarif="$work/placecheck.sarif"
  # The example has findings on purpose: exit code 1 is expected, 2 is a failure.
  rc=0
  target/debug/placecheck lint examples/cluster --format sarif="$sarif" || rc=$?
  if [ "$rc" -ge 2 ]; then
    echo "placecheck failed (exit code $rc)" >&2
    exit 1
  fi
fi

# npx runs the tool through a shell: the ;-list is quoted once more for it.
npx --yes "$MULTITOOL" validate "$sarif" \
  --rule-kind '"Gh;Sarif"' \
  --output "$work/validation.sarif" --log ForceOverwrite

node - "$work/validation.sarif" <<'JS'
const fs = require("fs");
const log = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
let errors = 0, warnings = 0;
for (const run of log.runs || []) {
  for (const n of (run.invocations || []).flatMap(i => i.toolExecutionNotifications || [])) {
    if ((n.level || "warning") === "error") {
      errors++;
      console.error(`tool error: ${n.message && n.message.text}`);
    }
  }
  for (const r of run.results || []) {
    const level = r.level || "warning";
    if (level === "error") errors++;
    if (level === "warning") warnings++;
  }
}
console.log(`SARIF validation (Gh;Sarif rules): ${errors} error(s), ${warnings} warning(s)`);
process.exit(errors > 0 ? 1 : 0);
JS
