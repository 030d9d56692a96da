#!/usr/bin/env bash
# Self-test of the real-server lab (lab.sh): for dnsmasq and then Kea, brings
# the lab up, gets an OFFER through tap0 exactly as the emulator attaches,
# leases an address from the cli namespace with busybox udhcpc sending the
# phone's option 60 (D1 string form) and 77, checks the server saw those bytes
# and that the lease carries 43/66/67/150/190-192/file/siaddr, checks that a
# client without them gets neither 43 nor 67, fetches a file over TFTP from
# both TFTP servers and over HTTP (User-Agent in nginx's access log), queries
# chrony (command protocol and NTP) and the lab's DNS name, then brings the lab down and checks that
# nothing is left.
#
#   selftest.sh [--name PREFIX] [--rounds N]
#
# Each round runs dnsmasq, Kea, and both again with --vlan (VLAN 100 checks).
#
# Exit 0 only if every check passed; 77 (with a loud SKIPPED line) when the
# machine cannot run the lab. Ends with the line "N passed, N failed".
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/lab.sh
NAME=st20xx-selftest
ROUNDS=1
while (($#)); do
    case "$1" in
        --name) NAME=${2:?}; shift 2 ;;
        --rounds) ROUNDS=${2:?}; shift 2 ;;
        *) echo "usage: selftest.sh [--name PREFIX] [--rounds N]" >&2; exit 2 ;;
    esac
done

loud_skip() {
    echo "***************************************************************" >&2
    echo "*** SKIPPED: netlab self-test: $*" >&2
    echo "***************************************************************" >&2
    exit 77
}
((EUID == 0)) || loud_skip "needs root (network namespaces, /dev/net/tun)"
[[ -c /dev/net/tun ]] || loud_skip "needs /dev/net/tun"
command -v ip >/dev/null || loud_skip "needs iproute2"
ip netns add "$NAME-probe" 2>/dev/null || loud_skip "cannot create network namespaces"
ip netns del "$NAME-probe"
"$HERE/install.sh" >/dev/null || loud_skip "could not install the lab's Debian packages (install.sh)"

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "  ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "  FAIL $*"; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/netlab-selftest.XXXXXX")
LABDIR=$WORK/lab
cleanup() {
    "$LAB" down --name "$NAME" --labdir "$LABDIR" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The tree the servers serve.
TREE=$WORK/tree
mkdir -p "$TREE/prov"
printf '[provisioning]\r\nconfig_filename=ST2030S_001E3C2A0B1C.txt\r\n' >"$TREE/ST2030S.inf"
cp "$TREE/ST2030S.inf" "$TREE/prov/ST2030S.inf"
head -c 200000 /dev/urandom >"$TREE/v2030SG.bin"

D1=0107Thomson0206ST20300303SIP
D2="Thomson ST2030S"
D2HEX=$(printf '%s' "$D2" | od -An -tx1 | tr -d ' \n')
URL=http://10.77.0.1/prov/ST2030S.inf
URLHEX=$(printf '%s' "$URL" | od -An -tx1 | tr -d ' \n')
UA="THOMSON ST2030 hw5 fw2.74 00-14-7F-E1-47-B3"
S=10.77.0.1
# With --vlan, a client asking for option 190 on the untagged LAN (tapdhcp.py,
# like a phone with VLAN=1) is pointed at VLAN 100's servers.
VURL=http://10.77.100.1/prov/ST2030S.inf
VURLHEX=$(printf '%s' "$VURL" | od -An -tx1 | tr -d ' \n')
VS=10.77.100.2

# busybox udhcpc hook: configures the address in cli and keeps the lease's
# variables (lower-case ones are udhcpc's) in $WORK/lease.
cat >"$WORK/udhcpc.sh" <<EOF
#!/bin/sh
if [ "\$1" = bound ] || [ "\$1" = renew ]; then
    ip addr flush dev "\$interface"
    ip addr add "\$ip/\$mask" dev "\$interface"
    env | grep '^[a-z]' | sort >"$WORK/lease"
fi
EOF
chmod +x "$WORK/udhcpc.sh"

in_cli() { ip netns exec "$NAME-cli" "$@"; }
lease_has() { grep -qxF "$1" "$WORK/lease"; }
lease_lacks() { ! grep -q "^$1=" "$WORK/lease"; }
# Options 66/67 as hex, with or without dnsmasq's trailing NUL.
hex_or_nul() { grep -qE "^$1=$2(00)?\$" "$3"; }

# True when none of the pids is still running (zombies waiting for PID 1 to
# reap them count as gone).
none_alive() {
    local p st
    for p in "$@"; do
        st=$(sed 's/.*) //;s/ .*//' "/proc/$p/stat" 2>/dev/null) || continue
        [[ "$st" == Z ]] || return 1
    done
}

UP_TIMES=()
DOWN_TIMES=()

run_one() {
    local dhcp=$1 vlan=${2:-} out t
    echo "== $dhcp $vlan"
    out=$("$LAB" up --name "$NAME" --dir "$TREE" --dhcp "$dhcp" --labdir "$LABDIR" $vlan) || {
        bad "lab up ($dhcp $vlan)"; return; }
    t=$(sed -n 's/.* up in \([0-9.]*\) s.*/\1/p' <<<"$out"); UP_TIMES+=("$t")
    ok "lab up in $t s"

    # The emulator's path: attach to tap0 inside the sw namespace.
    local url=$URL urlhex=$URLHEX s66=$S s150=10.77.0.2
    [[ -z "$vlan" ]] || { url=$VURL urlhex=$VURLHEX s66=$VS s150=$VS; }
    if ip netns exec "$NAME-sw" python3 "$HERE/tapdhcp.py" >"$WORK/offer" 2>"$WORK/offer.err"; then
        ok "OFFER through tap0 ($(grep -E '^(forwarding_us|offer_us)=' "$WORK/offer" | tr '\n' ' '))"
        check "tap0 OFFER: option 43 = $url" grep -qx "opt43=$urlhex" "$WORK/offer"
        check "tap0 OFFER: option 66 = $s66" hex_or_nul opt66 "$(printf %s "$s66" | od -An -tx1 | tr -d ' \n')" "$WORK/offer"
        check "tap0 OFFER: option 67 = ST2030S.inf" hex_or_nul opt67 "$(printf ST2030S.inf | od -An -tx1 | tr -d ' \n')" "$WORK/offer"
        check "tap0 OFFER: option 150 = $s150" grep -qx "opt150=$(printf '%02x' ${s150//./ })" "$WORK/offer"
        check "tap0 OFFER: options 190/191/192 = 01/0064/00c8" \
            bash -c "grep -qx opt190=01 '$WORK/offer' && grep -qx opt191=0064 '$WORK/offer' && grep -qx opt192=00c8 '$WORK/offer'"
        check "tap0 OFFER: BOOTP file/sname/siaddr" \
            bash -c "grep -qx file=boot.inf '$WORK/offer' && grep -qx sname=tftpsrv '$WORK/offer' && grep -qx siaddr=$S '$WORK/offer'"
    else
        bad "OFFER through tap0: $(cat "$WORK/offer.err")"
    fi

    # A real client with the phone's options 60 and 77.
    rm -f "$WORK/lease"
    if in_cli busybox udhcpc -i eth0 -f -q -n -t 4 -T 1 -s "$WORK/udhcpc.sh" \
        -V "$D1" -x "0x4d:$D2HEX" -O 43 -O 66 -O 67 -O 150 >"$WORK/udhcpc.out" 2>&1 && [[ -f "$WORK/lease" ]]; then
        ok "udhcpc lease $(sed -n 's/^ip=//p' "$WORK/lease")"
        check "lease: option 43 = $URL" lease_has "opt43=$URLHEX"
        check "lease: option 66 = $S" lease_has "tftp=$S"
        check "lease: option 67 = ST2030S.inf" lease_has "bootfile=ST2030S.inf"
        check "lease: option 150 = 10.77.0.2" lease_has opt150=0a4d0002
        check "lease: /20 (pool for thousands of clients)" lease_has subnet=255.255.240.0
        check "lease: BOOTP file = boot.inf, siaddr = $S" bash -c "grep -qx boot_file=boot.inf '$WORK/lease' && grep -qx siaddr=$S '$WORK/lease'"
    else
        bad "udhcpc lease: $(tail -n 2 "$WORK/udhcpc.out")"
    fi
    if [[ "$dhcp" == dnsmasq ]]; then
        check "dnsmasq log: option 60 = $D1" grep -qF "vendor class: $D1" "$LABDIR/dnsmasq.log"
        check "dnsmasq log: option 77 = $D2" grep -qF "user class: $D2" "$LABDIR/dnsmasq.log"
        check "dnsmasq log: classes st2030s and st2030 matched" \
            bash -c "grep -E 'tags: .*st2030s' '$LABDIR/dnsmasq.log' | grep -qE 'st2030(,|\$)'"
    else
        local d1hex; d1hex=$(printf '%s' "$D1" | od -An -tx1 | tr -d ' \n')
        check "Kea log: option 60 = $D1" grep -qi "option 60 with value 0x$d1hex\$" "$LABDIR/kea-eval.log"
        check "Kea log: option 77 = $D2" grep -qi "option 77 with value 0x$D2HEX\$" "$LABDIR/kea-eval.log"
        check "Kea lease file has the lease" grep -q "^$(sed -n 's/^ip=//p' "$WORK/lease")," "$LABDIR/kea-leases4.csv"
    fi

    # A client without them gets neither 43 nor 67 (so the classes above did match).
    rm -f "$WORK/lease"
    if in_cli busybox udhcpc -i eth0 -f -q -n -t 4 -T 1 -s "$WORK/udhcpc.sh" -O 43 -O 67 \
        >"$WORK/udhcpc.out" 2>&1 && [[ -f "$WORK/lease" ]]; then
        check "plain client: no option 43, no option 67, still 150" \
            bash -c "! grep -q '^opt43=' '$WORK/lease' && ! grep -q '^bootfile=' '$WORK/lease' && grep -qx opt150=0a4d0002 '$WORK/lease'"
    else
        bad "plain client lease: $(tail -n 2 "$WORK/udhcpc.out")"
    fi

    # TFTP from both servers, HTTP with a User-Agent, NTP.
    local srv
    for srv in 10.77.0.1 10.77.0.2; do
        rm -f "$WORK/got"
        check "TFTP $srv (200000 bytes, blksize 1428)" bash -c \
            "ip netns exec '$NAME-cli' busybox tftp -b 1428 -g -r v2030SG.bin -l '$WORK/got' $srv && cmp '$WORK/got' '$TREE/v2030SG.bin'"
    done
    rm -f "$WORK/got"
    check "HTTP GET /prov/ST2030S.inf" bash -c \
        "ip netns exec '$NAME-cli' busybox wget -q -U '$UA' -O '$WORK/got' $URL && cmp '$WORK/got' '$TREE/prov/ST2030S.inf'"
    check "nginx access log: path, 200 and User-Agent" \
        grep -qF "\"GET /prov/ST2030S.inf HTTP/1.1\" 200 $(stat -c %s "$TREE/prov/ST2030S.inf") \"$UA\"" "$LABDIR/nginx-access.log"
    check "HTTP 404 for a missing file" bash -c \
        "! ip netns exec '$NAME-cli' busybox wget -q -O /dev/null http://$S/nope.inf && grep -qF '\"GET /nope.inf HTTP/1.1\" 404' '$LABDIR/nginx-access.log'"
    check "chronyc tracking: stratum 8, leap normal" bash -c \
        "ip netns exec '$NAME-cli' chronyc -n -h $S tracking | grep -qE '^Stratum +: 8\$' && ip netns exec '$NAME-cli' chronyc -n -h $S tracking | grep -qE '^Leap status +: Normal'"
    check "NTP query (chronyd -Q, clock untouched)" bash -c \
        "ip netns exec '$NAME-cli' chronyd -Q -t 3 -f /dev/null 'server $S iburst maxsamples 1' 2>&1 | grep -q 'System clock wrong by'"
    check "DNS: tftp.netlab = 10.77.0.2 (dnsmasq on $S)" bash -c \
        "ip netns exec '$NAME-cli' busybox nslookup -type=a tftp.netlab $S | grep -qx 'Address: 10.77.0.2'"
    [[ -z "$vlan" ]] || vlan_checks
    check "lab status: all servers listening" "$LAB" status --name "$NAME" --labdir "$LABDIR"

    local pids=() got ns
    for ns in sw srv cli; do
        read -ra got <<<"$(ip netns pids "$NAME-$ns" | tr '\n' ' ')"
        pids+=("${got[@]}")
    done
    out=$("$LAB" down --name "$NAME" --labdir "$LABDIR") || { bad "lab down"; return; }
    t=$(sed -n 's/.* down in \([0-9.]*\) s.*/\1/p' <<<"$out"); DOWN_TIMES+=("$t")
    ok "lab down in $t s"
    check "no lab namespace left" bash -c "! ip netns list | grep -q '^$NAME-'"
    check "no lab process left (${#pids[@]} were running)" none_alive "${pids[@]}"
    check "lab dir removed" test ! -e "$LABDIR"
}

# VLAN 100: a tagged DISCOVER through tap0 is answered tagged from the VLAN's
# subnet without the VLAN options; a client on the VLAN bridge reaches the
# VLAN's TFTP and HTTP addresses.
vlan_checks() {
    if ip netns exec "$NAME-sw" python3 "$HERE/tapdhcp.py" --vlan 100 >"$WORK/offer" 2>"$WORK/offer.err"; then
        check "VLAN 100 OFFER through tap0: 10.77.100.x, no 190-192, 43 kept" bash -c \
            "grep -qE '^yiaddr=10\.77\.100\.' '$WORK/offer' && ! grep -q '^opt19[012]=' '$WORK/offer' && grep -qx 'opt43=$URLHEX' '$WORK/offer'"
    else
        bad "VLAN 100 OFFER through tap0: $(cat "$WORK/offer.err")"
    fi
    rm -f "$WORK/lease"
    if in_cli busybox udhcpc -i eth1 -f -q -n -t 4 -T 1 -s "$WORK/udhcpc.sh" -V "$D1" -x "0x4d:$D2HEX" \
        >"$WORK/udhcpc.out" 2>&1 && [[ -f "$WORK/lease" ]]; then
        check "VLAN 100 lease from cli: $(sed -n 's/^ip=//p' "$WORK/lease")" grep -qE '^ip=10\.77\.100\.' "$WORK/lease"
    else
        bad "VLAN 100 lease from cli: $(tail -n 2 "$WORK/udhcpc.out")"
    fi
    rm -f "$WORK/got"
    check "VLAN 100 TFTP 10.77.100.2" bash -c \
        "ip netns exec '$NAME-cli' busybox tftp -g -r ST2030S.inf -l '$WORK/got' 10.77.100.2 && cmp '$WORK/got' '$TREE/ST2030S.inf'"
    rm -f "$WORK/got"
    check "VLAN 100 HTTP 10.77.100.1" bash -c \
        "ip netns exec '$NAME-cli' busybox wget -q -U '$UA' -O '$WORK/got' http://10.77.100.1/ST2030S.inf && cmp '$WORK/got' '$TREE/ST2030S.inf'"
}

T0=$EPOCHREALTIME
for ((r = 1; r <= ROUNDS; r++)); do
    ((ROUNDS == 1)) || echo "### round $r"
    run_one dnsmasq
    run_one kea
    run_one dnsmasq --vlan
    run_one kea --vlan
done
echo "lab up times (s): ${UP_TIMES[*]:-}"
echo "lab down times (s): ${DOWN_TIMES[*]:-}"
echo "total $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
echo "netlab: $PASS passed, $FAIL failed"
((FAIL == 0))
