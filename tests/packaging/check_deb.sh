#!/usr/bin/env bash
# Builds the .deb with CPack into a temporary directory and checks what it holds: the
# files an operator needs at the documented paths, runtime dependencies from shlibdeps,
# and maintainer scripts that enable and start nothing. ctest label `packaging`.
# usage: check_deb.sh BUILD_DIR
set -euo pipefail
build="${1:?usage: check_deb.sh BUILD_DIR}"
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (scripts/setup installs dpkg-dev)"; exit 77; }
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$out" > "$out/cpack.log" 2>&1 \
  || { cat "$out/cpack.log"; exit 1; }
debs=("$out"/newsd_*.deb)
[ -f "${debs[0]}" ] || { echo "FAIL: no newsd_*.deb in $out"; ls -l "$out"; exit 1; }
deb="${debs[0]}"
echo "built $(basename "$deb")"

status=0
contents="$(dpkg-deb -c "$deb" | awk '{print $NF}')"
for path in \
    ./usr/bin/newsd \
    ./usr/lib/systemd/system/newsd.service \
    ./usr/lib/sysusers.d/newsd.conf \
    ./usr/lib/tmpfiles.d/newsd.conf \
    ./usr/share/newsd/newsd.example.yaml \
    ./usr/share/newsd/dashboards/grafana/newsd.json \
    ./usr/share/newsd/dashboards/prometheus/newsd-alerts.yml \
    ./usr/share/newsd/schema/newsd.post.v1.schema.json \
    ./usr/share/doc/newsd/README.md \
    ./usr/share/doc/newsd/operations.md \
    ./usr/share/doc/newsd/runbook.md; do
  grep -qxF "$path" <<<"$contents" || { echo "FAIL: $path is not in the package"; status=1; }
done
if grep -q 'test.yml$' <<<"$contents"; then echo "FAIL: rule unit tests were packaged"; status=1; fi
if grep -q '^\./etc/' <<<"$contents"; then echo "FAIL: files under /etc (the postinst creates the config)"; status=1; fi

depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
for lib in librdkafka1 libsystemd0 libcurl4 libsqlite3-0 libc6; do
  grep -q "\b$lib\b" <<<"$depends" || { echo "FAIL: Depends lacks $lib"; status=1; }
done

ctrl="$out/control"
dpkg-deb -e "$deb" "$ctrl"
for script in postinst prerm postrm; do
  [ -x "$ctrl/$script" ] || { echo "FAIL: no executable $script"; status=1; continue; }
  sh -n "$ctrl/$script" || { echo "FAIL: $script is not valid sh"; status=1; }
done
grep -q 'systemd-sysusers' "$ctrl/postinst" || { echo "FAIL: postinst does not create the user"; status=1; }
grep -q 'systemd-tmpfiles' "$ctrl/postinst" || { echo "FAIL: postinst does not create directories"; status=1; }
if grep -hE 'systemctl +(enable|start|restart|reenable|preset)\b|deb-systemd-helper|invoke-rc.d' \
    "$ctrl/postinst" "$ctrl/prerm" "$ctrl/postrm"; then
  echo "FAIL: a maintainer script enables or starts the service"
  status=1
fi
[ $status -eq 0 ] && echo "ok: package contents, dependencies and maintainer scripts"
exit $status
