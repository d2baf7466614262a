#!/bin/bash
# The three-layer check against real netfilter.
#
# Network namespaces for the My Number, LGWAN and Internet segments, a relay
# host (mail text relay 10.30.1.25 and screen transfer 10.30.1.26), the My
# Number peer (中間サーバー 192.0.2.10) and a router/firewall joined to each
# by a veth pair. For each test ruleset the router loads the very file the
# checker reads (nftables JSON with `nft -j -f`, iptables-save with
# `iptables-restore`; semantics.json is nft's listing of semantics.nft, which
# is what gets loaded), real TCP and UDP traffic is sent for a sample of flows,
# and each outcome must be what the checker says (--probe) for that packet.
# Needs root, nft, iptables-restore and ip; exits 77 (skipped) without them.
# The namespaces are removed on every exit.
set -u
MAMORI=$1
ROOT=$2
NETPROBE=${3:-$(dirname "$MAMORI")/tests/zones/netprobe}
D=$ROOT/tests/data/zones
P=$ROOT/policy/toyohashi.yaml

if [ "$(id -u)" != 0 ] || ! command -v nft >/dev/null || ! command -v ip >/dev/null ||
	! command -v iptables-restore >/dev/null; then
	echo "skipped: needs root, nft, iptables-restore and ip"
	exit 77
fi
[ -x "$NETPROBE" ] || { echo "no netprobe helper at $NETPROBE"; exit 1; }

S=z$$ # namespace prefix, unique per run
NS="${S}r ${S}mn ${S}lg ${S}in ${S}rl ${S}ex"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for n in $NS; do ip netns del "$n" 2>/dev/null; done
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP PIPE

for n in $NS; do ip netns add "$n" || exit 1; done
R=${S}r
# link NS IFNAME ROUTER_ADDR HOST_ADDRS...
link() {
	local ns=$1 ifn=$2 raddr=$3
	shift 3
	ip link add "$ifn" netns "$R" type veth peer name eth0 netns "$ns" || exit 1
	ip -n "$R" addr add "$raddr" dev "$ifn"
	ip -n "$R" link set "$ifn" up
	for a in "$@"; do ip -n "$ns" addr add "$a" dev eth0; done
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" route add default via "${raddr%/*}"
}
link "${S}mn" mn0 10.10.0.1/24 10.10.0.10/24
link "${S}lg" lg0 10.20.0.1/24 10.20.0.10/24
link "${S}in" in0 10.30.0.1/24 10.30.0.10/24
link "${S}rl" rl0 10.30.1.1/24 10.30.1.25/24 10.30.1.26/24
link "${S}ex" ex0 192.0.2.1/24 192.0.2.10/24
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1

PORTS="22 25 53 80 443 3385 3389 8080"
for n in mn lg in rl ex; do
	ip netns exec "${S}$n" "$NETPROBE" serve $PORTS &
	PIDS="$PIDS $!"
done
sleep 0.3

# The sample: source namespace, source, destination, protocol/port, in and
# out interfaces of the router.
FLOWS="
mn 10.10.0.10 10.20.0.10 tcp/25 mn0 lg0
mn 10.10.0.10 10.30.0.10 tcp/80 mn0 in0
mn 10.10.0.10 192.0.2.10 tcp/443 mn0 ex0
mn 10.10.0.10 192.0.2.10 tcp/8080 mn0 ex0
mn 10.10.0.10 192.0.2.10 udp/53 mn0 ex0
lg 10.20.0.10 10.10.0.10 tcp/22 lg0 mn0
lg 10.20.0.10 10.30.0.10 tcp/80 lg0 in0
lg 10.20.0.10 10.30.0.10 tcp/22 lg0 in0
lg 10.20.0.10 10.30.0.10 udp/53 lg0 in0
lg 10.20.0.10 10.30.1.26 tcp/3389 lg0 rl0
lg 10.20.0.10 10.30.0.10 tcp/8080 lg0 in0
lg 10.20.0.10 10.30.0.10 tcp/53 lg0 in0
in 10.30.0.10 10.20.0.10 udp/53 in0 lg0
lg 10.20.0.10 10.30.1.25 tcp/80 lg0 rl0
rl 10.30.1.25 10.20.0.10 tcp/25 rl0 lg0
rl 10.30.1.26 10.20.0.10 tcp/25 rl0 lg0
in 10.30.0.10 10.20.0.10 tcp/25 in0 lg0
in 10.30.0.10 10.10.0.10 tcp/443 in0 mn0
in 10.30.0.10 192.0.2.10 tcp/443 in0 ex0
in 10.30.0.10 192.0.2.10 tcp/3385 in0 ex0
ex 192.0.2.10 10.10.0.10 tcp/443 ex0 mn0
"

fails=0 checked=0 opened=0
# check FILE LOADER: load FILE into the router, compare every flow.
check() {
	local file=$1 kind=$2
	ip netns exec "$R" nft flush ruleset
	if [ "$kind" = nft ]; then
		ip netns exec "$R" nft -j -f "$file" || { echo "FAIL: nft cannot load $file"; fails=$((fails + 1)); return; }
	elif [ "$kind" = nft-text ]; then
		# nft -j -f cannot load a map whose elements jump to a chain listed
		# after it: load the source text; the checker reads nft's own listing
		ip netns exec "$R" nft -f "${file%.json}.nft" || { echo "FAIL: nft cannot load ${file%.json}.nft"; fails=$((fails + 1)); return; }
	else
		ip netns exec "$R" iptables-restore <"$file" || { echo "FAIL: iptables-restore $file"; fails=$((fails + 1)); return; }
	fi
	local args=()
	while read -r ns src dst pp iif oif; do
		[ -n "$ns" ] || continue
		args+=(--probe "$src,$dst,$pp,$iif,$oif")
	done <<<"$FLOWS"
	local said
	said=$("$MAMORI" zones check --profile "$P" --zones "$D/zones.yaml" --rules "$file" "${args[@]}" |
		sed -n 's/^  \([0-9.]*,[0-9.]*,[a-z]*\/[0-9]*\),[a-z0-9]*,[a-z0-9]*: \([a-z]*\).*/\1 \2/p')
	# send all the traffic at once: one netprobe per source namespace, each
	# probe waiting at most 700 ms for its answer
	local out n specs
	out=$(mktemp)
	for n in mn lg in rl ex; do
		specs=$(echo "$FLOWS" | awk -v n="$n" '$1 == n {print $2 "," $3 "," $4}')
		[ -n "$specs" ] || continue
		# shellcheck disable=SC2086
		ip netns exec "${S}$n" "$NETPROBE" probe 700 $specs >>"$out.$n" &
	done
	wait_probes
	cat "$out".* >"$out" 2>/dev/null
	rm -f "$out".*
	local flow real total verdict
	local -A want=()
	while read -r flow verdict; do
		[ -n "$flow" ] && want[$flow]=$verdict
	done <<<"$said"
	total=$(echo "$FLOWS" | grep -c .)
	while read -r flow real; do
		checked=$((checked + 1))
		[ "$real" = open ] && opened=$((opened + 1))
		case "${want[$flow]:-}/$real" in
		accept/open | drop/blocked) ;;
		*) echo "FAIL: $(basename "$file"): $flow: checker says '${want[$flow]:-}', real traffic $real"
		   fails=$((fails + 1)) ;;
		esac
	done <"$out"
	[ "$(wc -l <"$out")" -eq "$total" ] || { echo "FAIL: $(basename "$file"): lost probes"; fails=$((fails + 1)); }
	rm -f "$out"
}
wait_probes() {
	# wait for the probes only (not the listeners)
	local j
	for j in $(jobs -p); do
		case " $PIDS " in *" $j "*) ;; *) wait "$j" ;; esac
	done
}

for f in clean stray_accept peer_all_ports jump_permissive set_wrong_subnet; do
	check "$D/$f.json" nft
done
check "$D/semantics.json" nft-text
for f in clean stray_accept jump_permissive semantics; do
	ip netns exec "$R" nft flush ruleset
	check "$D/$f.iptables" iptables
done
echo "$checked flows compared ($opened open, $((checked - opened)) blocked), $fails failures"
# both outcomes must occur, or the comparison proves nothing
[ "$fails" -eq 0 ] && [ "$checked" -ge 100 ] && [ "$opened" -ge 20 ] && [ $((checked - opened)) -ge 20 ]
