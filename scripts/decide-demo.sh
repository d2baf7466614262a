#!/bin/sh
# scripts/decide-demo.sh MAMORI — `make demo`: ask the
# decision point the questions staff ask, under each shipped profile, and
# show the answers (effect, approvers, obligations, the clause, the reason).
set -eu
M="$1"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

ask() { # ask PROFILE QUESTION REQUEST_JSON
	printf '\n■ %s — %s\n  要求: %s\n' "$1" "$2" "$3"
	printf '%s' "$3" | "$M" decide --profile "$ROOT/policy/$1.yaml" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("  判定: %s" % d["effect"])
if d["approvers"]: print("  承認者: %s" % ", ".join(d["approvers"]))
if d["obligations"]: print("  義務: %s" % ", ".join(d["obligations"]))
for c in d["citations"]: print("  根拠: %s %s" % (c.get("document", ""), c["clause"]))
print("  理由: %s" % d["reason"])'
}

echo "mamori — 判定点 (policy decision point) のデモ"
for p in guideline tsuruoka toyohashi ibaraki-gikai meguro kameoka; do
	"$M" policy check "$ROOT/policy/$p.yaml" 2>&1 | tail -1
done

ask kameoka "重要性分類Ⅰの情報をインターネットメールで外部に送ってよいか" \
  '{"action":"info.send","subject":{"roles":["staff"]},"resource":{"kind":"information","classification":{"importance":"Ⅰ"}},"context":{"destination":"external","channel":"internet-mail"}}'
ask kameoka "他に合理的な方法がないので LGWAN で送りたい" \
  '{"action":"info.send","subject":{"roles":["staff"]},"resource":{"kind":"information","classification":{"importance":"Ⅰ"}},"context":{"destination":"external","channel":"lgwan-mail","no_alternative":true}}'
ask kameoka "同じく、情報資産管理責任者の承認を得た" \
  '{"action":"info.send","subject":{"roles":["staff"]},"resource":{"kind":"information","classification":{"importance":"Ⅰ"}},"context":{"destination":"external","channel":"lgwan-mail","no_alternative":true,"approvals":["asset_manager"]}}'
ask toyohashi "ノートPCを庁舎外に持ち出したい" \
  '{"action":"device.takeout","subject":{"roles":["staff"]},"resource":{"kind":"device"}}'
ask toyohashi "マイナンバー利用事務系の端末から USB メモリに書き出したい" \
  '{"action":"media.write","subject":{"roles":["staff"]},"resource":{"kind":"media","segment":"mynumber"},"context":{"channel":"usb"}}'
ask toyohashi "インターネットで受けたファイルを無害化せずに LGWAN 接続系へ取り込みたい" \
  '{"action":"info.copy","subject":{"roles":["staff"]},"resource":{"kind":"information"},"context":{"from_segment":"internet","to_segment":"lgwan","sanitized":"none"}}'
ask ibaraki-gikai "議員がタブレットにアプリを入れたい" \
  '{"action":"software.install","subject":{"roles":["assembly_member"]},"resource":{"kind":"software"}}'
ask ibaraki-gikai "機密性1と3Bが混在する USB メモリを運搬する" \
  '{"action":"info.transport","subject":{"roles":["council_staff"]},"resource":{"kind":"media","contents":[{"confidentiality":"1"},{"confidentiality":"3B"}]}}'
ask guideline "機密性3Bの情報を外部へメールで送りたい" \
  '{"action":"info.send","subject":{"roles":["staff"]},"resource":{"kind":"information","classification":{"confidentiality":"3B"}},"context":{"destination":"external","channel":"internet-mail"}}'

printf '\n入力の誤りは終了コード 2 と一行の理由になります:\n'
printf '{"action":"info.send","subject":{"roles":["staff"]},"resource":{"classification":{"confidentiality":"4"}}}' |
	"$M" decide --profile "$ROOT/policy/guideline.yaml" || echo "  (終了コード $?)"
