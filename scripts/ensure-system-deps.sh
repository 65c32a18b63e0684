#!/usr/bin/env bash
# Installs the Debian packages the test suite and benchmarks need, if they are missing:
# Chromium (browser tests), CJK fonts (pages and PDFs render Chinese), Pango (PDFs), PostgreSQL 15 server (CI, bench),
# gettext (compilemessages). Needs root (CI and the dev machines run as root); otherwise it
# only says what is missing.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
# WeasyPrint (notice boards, acceptance reports) draws text with Pango.
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
command -v msgfmt >/dev/null || need+=(gettext)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages: ${need[*]} (run as root or install them)" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
