#!/bin/sh
# fuzz/run.sh BUILD_DIR SECONDS — run each libFuzzer target for SECONDS,
# seeded from the project's own test data. Fails if a target finds a crash.
set -eu
B="$1"
S="${2:-30}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
W="$B/fuzz-work"
mkdir -p "$W/corpus-request" "$W/corpus-profile" "$W/artifacts"
python3 - "$ROOT" "$W/corpus-request" <<'PY'
import json, glob, os, sys, hashlib
root, out = sys.argv[1], sys.argv[2]
for f in glob.glob(os.path.join(root, "tests/data/decide/*/*.json")):
    try:
        r = json.dumps(json.load(open(f))["request"], ensure_ascii=False).encode()
    except Exception:
        continue
    open(os.path.join(out, hashlib.sha1(r).hexdigest()), "wb").write(r)
for f in glob.glob(os.path.join(root, "tests/data/bad/request/*.json")):
    d = open(f, "rb").read()
    open(os.path.join(out, hashlib.sha1(d).hexdigest()), "wb").write(d)
PY
for f in "$ROOT"/policy/*.yaml "$ROOT"/tests/data/profiles/*.yaml "$ROOT"/tests/data/bad/profile/*.yaml; do
	[ -f "$f" ] && cp "$f" "$W/corpus-profile/"
done
status=0
for t in request profile; do
	echo "fuzz_$t: ${S}s"
	"$B/fuzz/fuzz_$t" -max_total_time="$S" -timeout=5 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$W/artifacts/" -print_final_stats=1 "$W/corpus-$t" 2>&1 |
		grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)" || true
	if ls "$W/artifacts/" | grep -q .; then
		echo "fuzz_$t: found a problem: $(ls "$W/artifacts/")"
		status=1
	fi
done
exit $status
