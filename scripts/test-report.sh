#!/usr/bin/env bash
# Opens the report page in a real headless browser (Chromium from Debian's packages) and
# checks it: Chromium starts, every figure loads (naturalWidth > 0, counted against the PNGs
# in the results folders), every experiment with per-replica values shows a check verdict,
# every CSV link points at a file; then takes a phone-width screenshot.
#   scripts/test-report.sh RESULTS_DIR SCREENSHOT.png
# Installs Chromium with apt-get when it is missing; fails loudly when it cannot start it.
set -euo pipefail
results=$(cd "${1:?usage: test-report.sh RESULTS_DIR SCREENSHOT.png}" && pwd)
shot=${2:?usage: test-report.sh RESULTS_DIR SCREENSHOT.png}
page="$results/index.html"
fail() { echo "test-report: FAIL: $*" >&2; exit 1; }
[ -f "$page" ] || fail "$page does not exist (run \`harness report\` first)"

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "test-report: Chromium is missing; installing it from Debian's packages" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium \
        || fail "cannot install chromium with apt-get"
    browser=$(command -v chromium) || fail "chromium is still not on PATH after apt-get install"
fi
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
       --disable-dev-shm-usage --user-data-dir="$(mktemp -d)")

# A copy of the page with a probe that lists every image once the page has loaded, dumped
# with the DOM. It sits beside the page so that relative links resolve the same way.
probe="$results/.index-probe.html"
trap 'rm -f "$probe"' EXIT
# A truncated PNG still reports its header's size as naturalWidth: each figure is also drawn
# on a canvas, and its last pixel must be opaque (the figures have white backgrounds; an
# undecoded part is transparent).
sed 's#</body>#<script>window.addEventListener("load", () => { const c = document.createElement("canvas"); const g = c.getContext("2d"); const out = [...document.images].map(i => { let ok = i.complete \&\& i.naturalWidth > 0; if (ok) { c.width = i.naturalWidth; c.height = i.naturalHeight; g.clearRect(0, 0, c.width, c.height); g.drawImage(i, 0, 0); ok = g.getImageData(c.width - 1, c.height - 1, 1, 1).data[3] === 255; } return (ok ? "LOADED " : "BROKEN ") + i.naturalWidth + "x" + i.naturalHeight + " " + i.alt; }); const p = document.createElement("pre"); p.id = "probe"; p.textContent = out.join("\\n"); document.body.appendChild(p); });</script></body>#' \
    "$page" > "$probe"
dom=$(timeout 120 "$browser" "${flags[@]}" --virtual-time-budget=10000 --dump-dom "file://$probe" 2>/tmp/test-report-chromium.log) \
    || fail "Chromium did not start or did not load the page (exit $?); its log: $(tail -5 /tmp/test-report-chromium.log)"
[ -n "$dom" ] || fail "Chromium printed no DOM; its log: $(tail -5 /tmp/test-report-chromium.log)"
listing=$(printf '%s\n' "$dom" | sed -n '/<pre id="probe">/,/<\/pre>/p' | sed 's/<[^>]*>//g' | grep -E '^(LOADED|BROKEN)' || true)
expected=$(find "$results" -mindepth 2 -maxdepth 2 -name '*.png' | wc -l)
loaded=$(printf '%s\n' "$listing" | grep -c '^LOADED' || true)
broken=$(printf '%s\n' "$listing" | grep '^BROKEN' || true)
echo "$listing"
[ -z "$broken" ] || fail "figures that did not load: $broken"
[ "$loaded" -eq "$expected" ] || fail "$loaded figures loaded, but the results folders hold $expected PNGs"
[ "$expected" -gt 0 ] || fail "no figures at all under $results"

with_replicas=$(find "$results" -mindepth 2 -maxdepth 2 -name replicas.csv | wc -l)
verdicts=$(printf '%s\n' "$dom" | grep -o 'Check against <code>[^<]*</code>: <span class="[A-Z]*">' | wc -l)
[ "$verdicts" -eq "$with_replicas" ] \
    || fail "$with_replicas experiments have replicas.csv but the page shows $verdicts check verdicts"

missing=0
while read -r href; do
    [ -f "$results/$href" ] || { echo "broken link: $href" >&2; missing=1; }
done < <(printf '%s\n' "$dom" | grep -o 'href="[^"#]*\.csv"' | sed 's/href="//; s/"$//')
[ "$missing" -eq 0 ] || fail "links to CSV files that do not exist"

timeout 120 "$browser" "${flags[@]}" --window-size=412,2600 --screenshot="$(realpath -m "$shot")" "file://$page" \
    2>>/tmp/test-report-chromium.log || fail "Chromium could not take the screenshot"
[ -s "$shot" ] || fail "no screenshot written to $shot"
echo "test-report: PASS: $loaded figures loaded, $verdicts check verdicts, CSV links resolve; screenshot $shot"
