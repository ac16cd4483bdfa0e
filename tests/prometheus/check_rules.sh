#!/usr/bin/env bash
# The alert rules are valid (`promtool check rules`) and behave as their unit tests say
# (`promtool test rules`: every alert firing and not firing). ctest label `unit`.
# usage: check_rules.sh SOURCE_DIR
set -euo pipefail
dir="${1:?usage: check_rules.sh SOURCE_DIR}/dashboards/prometheus"
if ! command -v promtool >/dev/null; then
  echo "SKIP: promtool is not installed (scripts/setup installs the prometheus package)"
  exit 77
fi
promtool check rules "$dir/newsd-alerts.yml"
cd "$dir"
promtool test rules newsd-alerts.test.yml
# Every alert has a unit test, and every runbook_url names a section of docs/runbook.md.
runbook="$dir/../../docs/runbook.md"
status=0
for alert in $(sed -nE 's/^ *- alert: *([A-Za-z0-9_]+).*/\1/p' newsd-alerts.yml); do
  grep -qE "alertname: *$alert\$" newsd-alerts.test.yml || { echo "FAIL: no test for $alert"; status=1; }
  anchor="$(echo "$alert" | tr 'A-Z' 'a-z')"
  grep -q "runbook.md#$anchor\"" newsd-alerts.yml || { echo "FAIL: $alert has no runbook_url to #$anchor"; status=1; }
  grep -qE "^## $alert\$" "$runbook" || { echo "FAIL: docs/runbook.md has no section '## $alert'"; status=1; }
done
exit $status
