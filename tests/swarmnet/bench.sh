#!/usr/bin/env bash
# The swarm against real servers, measured (tests/netlab's lab; root, netns, TUN):
#
#  1. dhcp: one Kea lab. perfdhcp (relay mode, from the cli namespace) runs
#     -R N -r RATE -p PERIOD and gives its achieved DORA rate (RATE, offered,
#     defaults far above what one Kea answers, so Kea is the limit; perfdhcp's
#     drops show it); then an N-phone swarm `--until lease` boots against the
#     same Kea through tap0 (each phone powered off at its lease, so no phone
#     spends CPU past DHCP), tcpdump on the bridge, and its DHCP rate is N
#     leases over first DISCOVER -> last first-ACK on the wire (dhcpwire.py).
#     Prints swarm/perfdhcp. --dhcp-ramp R powers the phones on at R per
#     second instead of all at once (all at once, their first DISCOVERs leave
#     in one burst; what Kea drops of it waits for the firmware's 10 s retry).
#     --dhcp-link-up-at DURATION boots the phones with their cables out and
#     plugs them in at that emulated time, --dhcp-link-ramp R at R per second
#     from then on: the DHCP burst then carries no boot work (see README).
#     --dhcp-path relay (default direct) makes the phones' DHCP take
#     perfdhcp's path into Kea: Kea listens on a UDP socket (relayed unicast
#     only) and a dnsmasq relay agent at 10.77.0.50 (perfdhcp's giaddr)
#     carries the phones' broadcasts; direct, Kea's raw socket answers the
#     broadcasts itself, a slower path in Kea than the relayed one.
#     --dhcp-matched R offers both the same load: perfdhcp -R N -n N -r R
#     (one DORA per client, N clients, R per second) and the swarm's cables
#     plugged in at R per second (--dhcp-link-ramp R, --dhcp-link-up-at 10s
#     unless given), so both rates are first allocations of N new clients at
#     the same offered rate. --pin puts Kea on CPU 0 and each load generator
#     on CPU 1, so on a 2-core host the two do not take each other's CPU
#     (perfdhcp needs little of it, the swarm a core). --perfdhcp-like-phones
#     has perfdhcp send the phones' options 60 and 77 (Kea's client classes
#     then cost it what they cost for the phones).
#  2. full: one dnsmasq lab. An N-phone swarm provisions from dnsmasq + nginx;
#     wall time, full runs per wall second, failures by LCD error, and the
#     report's per-phone fetched counts against nginx's access log
#     (nginxmatch.py: per MAC and in total).
#
#   bench.sh [--phones N] [--only dhcp|full] [--rate R] [--period S]
#            [--dhcp-for DURATION] [--dhcp-ramp R] [--dhcp-link-up-at DURATION] [--dhcp-link-ramp R]
#            [--dhcp-path direct|relay] [--dhcp-matched R] [--latency-us N] [--pin] [--perfdhcp-like-phones]
#            [--for DURATION] [--bin ST20XX] [--roms DIR] [--keep DIR]
#
# --dhcp-for bounds the dhcp swarm (emulated time; it ends by itself once every
# phone has its lease), --for the full one. Results are KEY=VALUE lines at the end.
# Exit 0 when every phone of the full run provisioned and nginx's log matches
# the report (and, in the dhcp part, every phone got a lease); 1 otherwise;
# 77 when the machine cannot run the lab. Heavy: run under `nice`.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LAB=$REPO/tests/netlab/lab.sh
PHONES=1000
ONLY=""
RATE=50000
PERIOD=3
DHCP_FOR=60s
DHCP_RAMP=""
LINK_AT=""
LINK_RAMP=""
DHCP_PATH=direct
MATCHED=""
LATENCY=50
PIN=""
LIKE_PHONES=""
FOR=30m
BIN=""
ROMS=$REPO/roms
KEEP=""
# Both load generators (perfdhcp and the swarm) run at this niceness, so they
# meet the servers (Kea, dnsmasq, nginx, tcpdump at 0) on equal terms.
LOAD_NICE=${LOAD_NICE:-0}
while (($#)); do
    case "$1" in
        --phones) PHONES=${2:?}; shift 2 ;;
        --only) ONLY=${2:?}; shift 2 ;;
        --rate) RATE=${2:?}; shift 2 ;;
        --period) PERIOD=${2:?}; shift 2 ;;
        --dhcp-for) DHCP_FOR=${2:?}; shift 2 ;;
        --dhcp-ramp) DHCP_RAMP=${2:?}; shift 2 ;;
        --dhcp-link-up-at) LINK_AT=${2:?}; shift 2 ;;
        --dhcp-link-ramp) LINK_RAMP=${2:?}; shift 2 ;;
        --dhcp-path) DHCP_PATH=${2:?}; shift 2 ;;
        --dhcp-matched) MATCHED=${2:?}; shift 2 ;;
        --latency-us) LATENCY=${2:?}; shift 2 ;;
        --perfdhcp-like-phones) LIKE_PHONES=1; shift ;;
        --pin) PIN=1; shift ;;
        --for) FOR=${2:?}; shift 2 ;;
        --bin) BIN=${2:?}; shift 2 ;;
        --roms) ROMS=${2:?}; shift 2 ;;
        --keep) KEEP=${2:?}; shift 2 ;;
        *) sed -n '36,39p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
[[ "$PHONES" =~ ^[0-9]+$ ]] && ((PHONES > 0 && PHONES <= 3995)) ||
    { echo "bench.sh: --phones must be 1..3995 (the lab's pool; each load generator meets a fresh Kea)" >&2; exit 2; }
[[ -z "$ONLY" || "$ONLY" == dhcp || "$ONLY" == full ]] || { echo "bench.sh: --only dhcp|full" >&2; exit 2; }
[[ "$DHCP_PATH" == direct || "$DHCP_PATH" == relay ]] || { echo "bench.sh: --dhcp-path direct|relay" >&2; exit 2; }
if [[ -n "$MATCHED" ]]; then
    [[ "$MATCHED" =~ ^[0-9]+$ ]] && ((MATCHED > 0)) || { echo "bench.sh: --dhcp-matched needs a rate" >&2; exit 2; }
    RATE=$MATCHED
    LINK_RAMP=$MATCHED
    LINK_AT=${LINK_AT:-10s}
fi
if [[ -z "$BIN" ]]; then
    for b in "${CARGO_TARGET_DIR:-$REPO/target}/release/st20xx" "$REPO/target/release/st20xx"; do
        [[ -x "$b" ]] && { BIN=$b; break; }
    done
fi
[[ -x "$BIN" ]] || { echo "bench.sh: no st20xx binary (cargo build --release, or --bin PATH)" >&2; exit 2; }
((EUID == 0)) || { echo "bench.sh: SKIPPED: needs root" >&2; exit 77; }
"$REPO/tests/netlab/install.sh" >/dev/null || { echo "bench.sh: SKIPPED: install.sh failed" >&2; exit 77; }

NAME=st20xx-bench-$$
WORK=$(mktemp -d "${TMPDIR:-/tmp}/st20xx-bench.XXXXXX")
mkdir -p "$WORK/tree"
ln -s "$REPO/assets/provisioning" "$WORK/tree/prov"
CAP_PID=""
cleanup() {
    [[ -z "${RELAY_PID:-}" ]] || kill "$RELAY_PID" 2>/dev/null || true
    [[ -z "$CAP_PID" ]] || kill -INT "$CAP_PID" 2>/dev/null || true
    "$LAB" down --name "$NAME" --labdir "$WORK/lab" >/dev/null 2>&1 || true
    if [[ -n "$KEEP" ]]; then mkdir -p "$KEEP" && cp -r "$WORK"/*.json "$WORK"/*.log "$WORK"/*.out "$WORK"/*.pcap "$KEEP"/ 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
# CPU time Kea's threads have had so far, ns (schedstat).
kea_cpu_ns() {
    local p t sum=0
    for p in $KEA_PIDS; do
        for t in /proc/"$p"/task/*/schedstat; do
            sum=$((sum + $(cut -d' ' -f1 "$t" 2>/dev/null || echo 0)))
        done
    done
    echo "$sum"
}
RESULTS=()
result() { RESULTS+=("$1=$2"); }
RC=0

lab_up() {
    "$LAB" up --name "$NAME" --dir "$WORK/tree" --dhcp "$1" --labdir "$WORK/lab" --quiet "${@:2}" >/dev/null
}
lab_down() {
    cp "$WORK/lab/nginx-access.log" "$WORK/$1-nginx-access.log" 2>/dev/null || true
    "$LAB" down --name "$NAME" --labdir "$WORK/lab" >/dev/null
}

# tcpdump of DHCP on the lab bridge, until stop_capture.
start_capture() {
    rm -f "$WORK/cap.err"
    # A 64 MiB buffer: the default one dropped about half a 500-phone burst.
    # Buffered (no --immediate-mode, no -U): a wake-up per packet cost a
    # core's worth of context switches at 5,000 DORAs/s. With --pin it runs
    # on the load generator's CPU, never Kea's, and it runs during both load
    # generators' runs, so both meet the same Kea.
    ${PIN:+taskset -c 1} ip netns exec "$NAME-sw" tcpdump -i br0 -nn -B 65536 -s 0 -w "$WORK/$1.pcap" \
        'udp port 67 or udp port 68' </dev/null 2>"$WORK/cap.err" &
    CAP_PID=$!
    local i
    for ((i = 0; i < 300; i++)); do grep -q 'listening on' "$WORK/cap.err" 2>/dev/null && return; sleep 0.01; done
    echo "bench.sh: tcpdump did not start: $(cat "$WORK/cap.err")" >&2
    exit 1
}
stop_capture() {
    # Buffered capture hands packets over when a ring block fills or times
    # out (tcpdump's 1 s): stopping sooner loses the last second.
    sleep 1.2
    kill -INT "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    CAP_PID=""
    CAP_DROPPED=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$WORK/cap.err")
}

# A swarm of $PHONES phones on tap0 for $1 (emulated) until goal $3; report $2; more arguments after.
swarm() {
    local t0=$EPOCHREALTIME rc=0
    nice -n "$LOAD_NICE" ${PIN:+taskset -c 1} ip netns exec "$NAME-sw" "$BIN" swarm --count "$PHONES" --net tap:tap0 --clock real \
        --for "$1" --until "$3" "${@:4}" --latency-us "$LATENCY" --quiet --max-fail "$PHONES" --roms "$ROMS" --report "$WORK/$2.json" \
        >"$WORK/$2.out" 2>&1 || rc=$?
    SWARM_WALL=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    cat "$WORK/$2.out"
    return $rc
}

# A fresh Kea lab (Kea on CPU 0 with --pin; perfdhcp's giaddr on cli's eth0).
kea_up() {
    if [[ "$DHCP_PATH" == relay ]]; then lab_up kea --kea-socket udp; else lab_up kea; fi
    KEA_PIDS=$(pgrep -f "kea-dhcp4 -c $WORK/lab/")
    if [[ -n "$PIN" ]]; then
        for p in $KEA_PIDS; do taskset -pc 0 "$p" >/dev/null; done
    fi
    ip -n "$NAME-cli" addr add 10.77.0.50/20 dev eth0
}

# A field of a report: python expression over `r`.
field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$WORK/$1.json"; }

if [[ -z "$ONLY" || "$ONLY" == dhcp ]]; then
    echo "== dhcp: perfdhcp vs $PHONES phones against one Kea"
    kea_up
    start_capture perfdhcp
    K0=$(kea_cpu_ns)
    # Relay mode (unicast from port 67, giaddr 10.77.0.50); -R clients, -r offered rate.
    if [[ -n "$MATCHED" ]]; then LENGTH=(-n "$PHONES"); else LENGTH=(-p "$PERIOD"); fi
    # The swarm's ST2030S phones send option 60 "0107Thomson0206ST20300303SIP"
    # and option 77 "Thomson ST2030S" (as captured on the wire), which Kea's
    # client classes evaluate; --perfdhcp-like-phones has perfdhcp send them too.
    OPTS=()
    [[ -z "$LIKE_PHONES" ]] || OPTS=(-o 60,3031303754686f6d736f6e3032303653543230333030333033534950 -o 77,54686f6d736f6e2053543230333053)
    nice -n "$LOAD_NICE" ${PIN:+taskset -c 1} ip netns exec "$NAME-cli" timeout $((PERIOD + 30)) perfdhcp -4 -l eth0 -R "$PHONES" -r "$RATE" "${LENGTH[@]}" "${OPTS[@]}" \
        10.77.0.1 >"$WORK/perfdhcp.out" 2>&1 || true
    K1=$(kea_cpu_ns)
    stop_capture
    result perfdhcp_wire_packets "$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$WORK/cap.err")"
    PERF=$(sed -n 's/^Rate: \([0-9.]*\) 4-way.*/\1/p' "$WORK/perfdhcp.out")
    [[ -n "$PERF" ]] || { echo "bench.sh: perfdhcp gave no rate:"; cat "$WORK/perfdhcp.out"; exit 1; }
    grep -E '^Rate|drops ratio' "$WORK/perfdhcp.out" | sed 's/^/  perfdhcp: /'
    # The swarm meets a Kea as fresh as perfdhcp's (no 1,900 leases of
    # perfdhcp's clients in its memfile), so the order favours neither.
    lab_down kea-perfdhcp
    kea_up
    result perfdhcp_like_phones "${LIKE_PHONES:-no}"
    result perfdhcp_rate "$PERF"
    result perfdhcp_offered_rate "$RATE"
    PERF_DORAS=$(sed -n 's/^ *received packets: \([0-9]*\).*/\1/p' "$WORK/perfdhcp.out" | sed -n 2p)
    result kea_cpu_us_per_perfdhcp_dora "$(awk -v k=$((K1 - K0)) -v n="${PERF_DORAS:-0}" 'BEGIN { if (n > 0) printf "%.1f", k / 1000 / n; else print "?" }')"
    result perfdhcp_drops_ratio "$(sed -n 's/^ *drops ratio: \([0-9.]*\).*/\1/p' "$WORK/perfdhcp.out" | paste -sd/ -)"
    if [[ "$DHCP_PATH" == relay ]]; then
        # After perfdhcp, which sends from port 67 in the same namespace.
        ip netns exec "$NAME-cli" dnsmasq --keep-in-foreground --port=0 --interface=eth0 \
            --dhcp-relay=10.77.0.50,10.77.0.1 --log-facility=- --pid-file= 2>"$WORK/relay.log" &
        RELAY_PID=$!
        sleep 0.3
        kill -0 "$RELAY_PID" 2>/dev/null || { echo "bench.sh: the dnsmasq relay did not start: $(cat "$WORK/relay.log")"; exit 1; }
    fi
    start_capture dhcp
    K2=$(kea_cpu_ns)
    swarm "$DHCP_FOR" dhcp lease ${DHCP_RAMP:+--ramp "$DHCP_RAMP"} ${LINK_AT:+--link-up-at "$LINK_AT"} \
        ${LINK_RAMP:+--link-ramp "$LINK_RAMP"} || true
    K3=$(kea_cpu_ns)
    stop_capture
    [[ -z "${RELAY_PID:-}" ]] || { kill "$RELAY_PID" 2>/dev/null; wait "$RELAY_PID" 2>/dev/null || true; RELAY_PID=""; }
    result swarm_dhcp_path "$DHCP_PATH"
    result pinned "${PIN:-no}"
    result swarm_latency_us "$LATENCY"
    result swarm_dhcp_ramp "${DHCP_RAMP:-none}"
    result swarm_dhcp_link_up_at "${LINK_AT:-none}"
    result swarm_dhcp_link_ramp "${LINK_RAMP:-none}"
    result wire_capture_dropped "${CAP_DROPPED:-?}"
    python3 "$HERE/dhcpwire.py" "$WORK/dhcp.pcap" >"$WORK/dhcpwire.out"
    sed 's/^/  wire: /' "$WORK/dhcpwire.out"
    ACKED=$(sed -n 's/^acked=//p' "$WORK/dhcpwire.out")
    WIRE=$(sed -n 's/^rate=//p' "$WORK/dhcpwire.out")
    result swarm_dhcp_wire_rate "$WIRE"
    result kea_cpu_us_per_swarm_dora "$(awk -v k=$((K3 - K2)) -v n="${ACKED:-0}" 'BEGIN { if (n > 0) printf "%.1f", k / 1000 / n; else print "?" }')"
    result swarm_dhcp_leases "$ACKED"
    result swarm_dhcp_wire_span_s "$(sed -n 's/^span_s=//p' "$WORK/dhcpwire.out")"
    result swarm_dhcp_report_rate "$(field dhcp 'round(r.get("dhcp_rate", 0), 1)')"
    result swarm_dhcp_report_leased "$(field dhcp 'r.get("leased", 0)')"
    result swarm_dhcp_wall_s "$SWARM_WALL"
    # Behind real time once the DHCP load starts (the boot before it may lag: no cable, no harm).
    result swarm_dhcp_lag_max_ms "$(field dhcp 'round(max([l for t, l in r["wall"][0].get("lag_over_time", []) if t + 100000 > (r["run"].get("link_up_us") or 0)], default=0) / 1e3, 2)')"
    result swarm_dhcp_emulated_over_wall "$(field dhcp 'round(r["run"]["end_us"] / 1e6 / r["wall"][0]["elapsed_s"], 3)')"
    result ratio_swarm_over_perfdhcp "$(awk -v a="$WIRE" -v b="$PERF" 'BEGIN { printf "%.3f", a / b }')"
    BULK=$(sed -n 's/^bulk_rate=//p' "$WORK/dhcpwire.out")
    result swarm_dhcp_wire_bulk_rate "$BULK"
    result ratio_bulk_over_perfdhcp "$(awk -v a="$BULK" -v b="$PERF" 'BEGIN { printf "%.3f", a / b }')"
    FIRST=$(sed -n 's/^first_try_rate=//p' "$WORK/dhcpwire.out")
    result swarm_dhcp_first_try "$(sed -n 's/^first_try=//p' "$WORK/dhcpwire.out")"
    result swarm_dhcp_wire_first_try_rate "$FIRST"
    result ratio_first_try_over_perfdhcp "$(awk -v a="$FIRST" -v b="$PERF" 'BEGIN { printf "%.3f", a / b }')"
    BURST=$(sed -n 's/^burst_rate=//p' "$WORK/dhcpwire.out")
    result swarm_dhcp_wire_offered_rate "$(sed -n 's/^offered_rate=//p' "$WORK/dhcpwire.out")"
    result swarm_dhcp_burst_acked "$(sed -n 's/^burst_acked=//p' "$WORK/dhcpwire.out")"
    result swarm_dhcp_wire_burst_rate "$BURST"
    result ratio_burst_over_perfdhcp "$(awk -v a="$BURST" -v b="$PERF" 'BEGIN { printf "%.3f", a / b }')"
    result ratio_report_over_perfdhcp "$(awk -v a="$(field dhcp 'r.get("dhcp_rate", 0)')" -v b="$PERF" 'BEGIN { printf "%.3f", a / b }')"
    ((ACKED == PHONES)) || { echo "bench.sh: only $ACKED of $PHONES phones got a lease on the wire"; RC=1; }
    lab_down kea
fi

if [[ -z "$ONLY" || "$ONLY" == full ]]; then
    echo "== full: $PHONES phones against dnsmasq + nginx"
    lab_up dnsmasq
    start_capture full
    SRC=0
    swarm "$FOR" full provisioned || SRC=$?
    stop_capture
    lab_down full
    result full_wall_s "$SWARM_WALL"
    result full_provisioned "$(field full 'r["provisioned"]')"
    result full_failures "$(field full '";".join(f"{k}:{v}" for k, v in r["failures"].items()) or "none"')"
    result full_runs_per_s "$(field full 'round(r["wall"][0]["provisioned_per_s"], 2)')"
    result full_emulated_over_wall "$(field full 'round(r["run"]["end_us"] / 1e6 / r["wall"][0]["elapsed_s"], 3)')"
    result full_dhcp_wire_rate "$(python3 "$HERE/dhcpwire.py" "$WORK/full.pcap" | sed -n 's/^rate=//p')"
    ((SRC == 0)) || { echo "bench.sh: the swarm exited $SRC (not every phone provisioned)"; RC=1; }
    if python3 "$HERE/nginxmatch.py" "$WORK/full.json" "$WORK/full-nginx-access.log" | tee "$WORK/match.out"; then
        result nginx_matches_report yes
    else
        result nginx_matches_report no
        RC=1
    fi
    result nginx_200 "$(sed -n 's/.*nginx_200=\([0-9]*\).*/\1/p' "$WORK/match.out")"
    result report_fetched "$(sed -n 's/.*report_fetched=\([0-9]*\).*/\1/p' "$WORK/match.out")"
fi

echo "== results (phones=$PHONES)"
printf '%s\n' "${RESULTS[@]}"
exit $RC
