#!/usr/bin/env bash
# Re-vendor the front-end assets from the npm registry into src/jiuye/static/vendor/.
# Intranets have no internet: every asset is served by the app itself, never from a CDN.
# Only the minified dist files and each package's LICENSE are kept. Versions are pinned here;
# bump them deliberately and commit the result.
set -euo pipefail

BOOTSTRAP=5.3.9
HTMX=2.0.11
ECHARTS=5.6.0

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/src/jiuye/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "bootstrap@$BOOTSTRAP" "htmx.org@$HTMX" "echarts@$ECHARTS" >/dev/null

unpack() {  # unpack NAME TARBALL
    mkdir -p "$work/$1"
    tar -xzf "$2" -C "$work/$1" --strip-components=1
}
unpack bootstrap "bootstrap-$BOOTSTRAP.tgz"
unpack htmx "htmx.org-$HTMX.tgz"
unpack echarts "echarts-$ECHARTS.tgz"

rm -rf "$dest/bootstrap" "$dest/htmx" "$dest/echarts"
mkdir -p "$dest/bootstrap" "$dest/htmx" "$dest/echarts"

cp "$work/bootstrap/dist/css/bootstrap.min.css" "$dest/bootstrap/"
cp "$work/bootstrap/dist/js/bootstrap.bundle.min.js" "$dest/bootstrap/"
cp "$work/bootstrap/LICENSE" "$dest/bootstrap/LICENSE"
cp "$work/htmx/dist/htmx.min.js" "$dest/htmx/"
cp "$work/htmx/LICENSE" "$dest/htmx/LICENSE"
cp "$work/echarts/dist/echarts.min.js" "$dest/echarts/"
cp "$work/echarts/LICENSE" "$dest/echarts/LICENSE"
[ -f "$work/echarts/NOTICE" ] && cp "$work/echarts/NOTICE" "$dest/echarts/NOTICE"

# Drop the source-map references: the maps are not shipped and browsers would ask for them.
sed -i '/^\/\*# sourceMappingURL=.*\*\/$/d' "$dest/bootstrap/bootstrap.min.css"
sed -i '/^\/\/# sourceMappingURL=.*$/d' "$dest/bootstrap/bootstrap.bundle.min.js"

cat > "$dest/VERSIONS" <<VERSIONS
bootstrap $BOOTSTRAP (MIT)
htmx.org $HTMX (0BSD)
echarts $ECHARTS (Apache-2.0)
VERSIONS

echo "vendored bootstrap $BOOTSTRAP, htmx.org $HTMX, echarts $ECHARTS into $dest"
