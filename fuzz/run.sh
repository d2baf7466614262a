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
for t in $(find "$B/fuzz" -type f -name 'fuzz_*' -perm -u+x | sort); do
	name=$(basename "$t")
	case "$name" in
	fuzz_request) corpus="$W/corpus-request" ;;
	fuzz_profile) corpus="$W/corpus-profile" ;;
	*)
		corpus="$W/corpus-${name#fuzz_}"
		mkdir -p "$corpus"
		for d in "$ROOT"/fuzz/*/seeds/"$name"; do
			[ -d "$d" ] && cp -r "$d"/. "$corpus"/
		done
		;;
	esac
	echo "$name: ${S}s"
	"$t" -max_total_time="$S" -timeout=5 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$W/artifacts/" -print_final_stats=1 "$corpus" 2>&1 |
		grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)" || true
	if ls "$W/artifacts/" | grep -q .; then
		echo "$name: found a problem: $(ls "$W/artifacts/")"
		status=1
	fi
done
exit $status
