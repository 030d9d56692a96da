#!/usr/bin/env bash
# The real-server lab: real dnsmasq / Kea / tftpd-hpa / nginx / chrony in
# network namespaces, with a TAP device for one emulated phone.
#
#   lab.sh up     [--dir TREE] [--name PREFIX] [--dhcp dnsmasq|kea] [--vlan] [--quiet] [--labdir DIR]
#                 [--kea-socket raw|udp]
#   lab.sh down   [--name PREFIX] [--labdir DIR] [--keep]
#   lab.sh status [--name PREFIX] [--labdir DIR]
#   lab.sh wait-tap [--name PREFIX] [--timeout SECONDS]
#
# Topology (PREFIX defaults to st20xx; see README.md):
#   PREFIX-sw   bridge br0 <- tap0 (the phone), vsrv, vcli
#   PREFIX-srv  eth0 10.77.0.1/20 (dnsmasq DHCP+TFTP+DNS, Kea, nginx, chrony)
#               eth0 10.77.0.2/20 (tftpd-hpa); with --vlan also eth1
#               10.77.100.1/24 and 10.77.100.2/24 on VLAN 100, which also
#               reach the untagged subnet over VLAN 100 (see README.md)
#   PREFIX-cli  eth0, no address: for real DHCP/TFTP/HTTP clients
# The phone attaches with `ip netns exec PREFIX-sw <emulator> --net tap:tap0`
# (or from a thread that setns()'d into /run/netns/PREFIX-sw), flags
# IFF_TAP|IFF_NO_PI.
#
# Guarantees: nothing is created or started in the default namespace; every
# file the lab writes is under the lab dir (default /tmp/PREFIX.netlab), which
# `down` removes (unless --keep); `up` returns only when every server answers
# on its socket, and a failed `up` tears down what it built. IPv6 is off in
# every lab namespace. Exit 77 when the machine cannot run a lab (not root,
# no netns, no /dev/net/tun, missing server binaries: run install.sh).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

usage() {
    sed -n '5,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

die() { echo "lab.sh: $*" >&2; exit 1; }
skip() { echo "lab.sh: SKIPPED: $*" >&2; exit 77; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

CMD=${1:-}; [[ -n "$CMD" ]] || usage; shift
NAME=st20xx
TREE=""
DHCP=dnsmasq
VLAN=0
# Kea's dhcp-socket-type: raw (default) answers the phones' broadcasts on the
# bridge; udp hears only unicast, i.e. relayed traffic (a relay agent must
# then carry the broadcasts: tests/swarmnet/bench.sh --dhcp-path relay).
KEA_SOCKET=raw
LABDIR=""
KEEP=0
QUIET=0
TIMEOUT=5
while (($#)); do
    case "$1" in
        --dir) TREE=${2:?--dir needs a directory}; shift 2 ;;
        --name) NAME=${2:?--name needs a prefix}; shift 2 ;;
        --dhcp) DHCP=${2:?--dhcp needs dnsmasq or kea}; shift 2 ;;
        --vlan) VLAN=1; shift ;;
        --kea-socket) KEA_SOCKET=${2:?--kea-socket needs raw or udp}; shift 2 ;;
        --labdir) LABDIR=${2:?--labdir needs a directory}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --quiet) QUIET=1; shift ;;
        --timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
        -h|--help) usage ;;
        *) echo "lab.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
# Namespace names end up in /run/netns and in interface-free contexts only,
# but keep them simple so they are safe in paths and in `ip` arguments.
[[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$ ]] || die "bad --name '$NAME' (letters, digits, _ . -; at most 31)"
[[ "$DHCP" == dnsmasq || "$DHCP" == kea ]] || die "--dhcp must be dnsmasq or kea, not '$DHCP'"
[[ "$KEA_SOCKET" == raw || "$KEA_SOCKET" == udp ]] || die "--kea-socket must be raw or udp, not '$KEA_SOCKET'"
[[ "$TIMEOUT" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "bad --timeout '$TIMEOUT'"
LABDIR=${LABDIR:-${TMPDIR:-/tmp}/$NAME.netlab}
SW=$NAME-sw
SRV=$NAME-srv
CLI=$NAME-cli
NSS=("$SW" "$SRV" "$CLI")

# Addresses: the lab's fixed plan (see README.md), shared with selftest.sh.
# The untagged LAN is 10.77.0.0/20 so its pool (10.77.0.100-10.77.15.254,
# 3,995 leases) holds a swarm of thousands; VLAN 100 stays a /24.
NET=10.77.0
LAN=10.77.0.0/20
LANMASK=255.255.240.0
PLEN=20
POOL_LAST=10.77.15.254
LEASE_MAX=4096
VNET=10.77.100
VID=100
# srv eth1's address on the untagged subnet (no route of its own): the source
# of its ARP requests for phones that kept an untagged address on VLAN 100,
# since a phone ignores ARP from outside its subnet.
VLAN_ONLAN=$NET.3
VTABLE=100

# A process counts as alive until it is a zombie: PID 1 on some machines
# reaps orphans only every few seconds.
alive() {
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n "$st" && "${st%% *}" != Z ]]
}

ns_exists() { [[ -e "/run/netns/$1" ]]; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---------------------------------------------------------------- checks
preflight() {
    ((EUID == 0)) || skip "needs root (network namespaces and /dev/net/tun)"
    command -v ip >/dev/null || skip "needs iproute2 (ip)"
    [[ -c /dev/net/tun ]] || skip "needs /dev/net/tun"
    local b missing=()
    for b in dnsmasq in.tftpd nginx chronyd chronyc ss; do
        command -v "$b" >/dev/null || missing+=("$b")
    done
    [[ "$DHCP" != kea ]] || command -v kea-dhcp4 >/dev/null || missing+=(kea-dhcp4)
    ((VLAN == 0)) || command -v python3 >/dev/null || missing+=(python3)
    ((${#missing[@]} == 0)) || skip "missing ${missing[*]} (run tests/netlab/install.sh)"
}

# ---------------------------------------------------------------- down
# Kills every process in the lab namespaces (by pid, from `ip netns pids`),
# deletes the namespaces and the lab dir. Safe to run on a half-built lab.
lab_down() {
    local ns p i got pids=() left=()
    for ns in "${NSS[@]}"; do
        ns_exists "$ns" || continue
        read -ra got <<<"$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
        pids+=("${got[@]}")
    done
    ((${#pids[@]} == 0)) || kill -TERM "${pids[@]}" 2>/dev/null || true
    # Wait on the pids themselves: an exiting process leaves `ip netns pids`
    # before it is dead.
    for ((i = 0; i < 150; i++)); do
        left=()
        for p in "${pids[@]}"; do alive "$p" && left+=("$p"); done
        ((${#left[@]})) || break
        ((i < 100)) || kill -KILL "${left[@]}" 2>/dev/null || true
        sleep 0.01
    done
    ((${#left[@]} == 0)) || die "processes still alive in the lab namespaces: ${left[*]}"
    for ns in "${NSS[@]}"; do
        if ns_exists "$ns"; then
            p=$(ip netns pids "$ns" 2>/dev/null || true)
            [[ -z "$p" ]] || die "new processes appeared in $ns during down: $p"
            ip netns del "$ns"
        fi
    done
    if ((KEEP == 0)) && [[ -f "$LABDIR/.netlab" ]]; then
        rm -rf "$LABDIR"
    fi
}

# ---------------------------------------------------------------- configs
write_dnsmasq_conf() {
    local f=$LABDIR/dnsmasq.conf
    cat >"$f" <<EOF
# dnsmasq for the st20xx lab: TFTP on $NET.1 always, DNS for the lab names,
# DHCP when the lab runs with --dhcp dnsmasq.
user=root
pid-file=$LABDIR/dnsmasq.pid
log-facility=$LABDIR/dnsmasq.log
bind-interfaces
listen-address=$NET.1
no-resolv
no-hosts
address=/tftp.netlab/$NET.2
address=/prov.netlab/$NET.1
enable-tftp
tftp-root=$TREE
EOF
    ((VLAN == 0)) || echo "listen-address=$VNET.1" >>"$f"
    # Per-packet logs (options received and sent); --quiet for load runs.
    ((QUIET)) || printf 'log-dhcp\nlog-queries\n' >>"$f"
    [[ "$DHCP" == dnsmasq ]] || return 0
    cat >>"$f" <<EOF
dhcp-leasefile=$LABDIR/dnsmasq.leases
dhcp-authoritative
no-ping
dhcp-no-override
# dnsmasq refuses leases past dhcp-lease-max (default 1000).
dhcp-lease-max=$LEASE_MAX
dhcp-range=tag:eth0,set:lan,$NET.100,$POOL_LAST,$LANMASK,1h
dhcp-option=tag:lan,option:router,$NET.1
dhcp-option=option:dns-server,$NET.1
dhcp-option-force=66,"$NET.1"
dhcp-option-force=150,$NET.2
dhcp-option-force=tag:lan,190,01
dhcp-option-force=tag:lan,191,00:64
dhcp-option-force=tag:lan,192,00:c8
dhcp-boot=boot.inf,tftpsrv,$NET.1
# Option 77 (substring match): Thomson ST2030S phones get option 67.
dhcp-userclass=set:st2030s,Thomson ST2030S
dhcp-option-force=tag:st2030s,67,"ST2030S.inf"
# Option 60 starting with "0107Thomson" (D1 string form): option 43.
dhcp-match=set:st2030,60,30:31:30:37:54:68:6f:6d:73:6f:6e
dhcp-option-force=tag:st2030,tag:!voicelan,43,"http://$NET.1/prov/ST2030S.inf"
EOF
    if ((VLAN)); then
        cat >>"$f" <<EOF
dhcp-range=tag:eth1,set:vlan$VID,$VNET.100,$VNET.199,255.255.255.0,1h
dhcp-option=tag:vlan$VID,option:router,$VNET.1
# A phone asking for option 190 (VLAN=1) on the untagged LAN moves to VLAN
# $VID with its untagged address: point it at VLAN $VID's servers. dnsmasq
# takes no value for option 55 but a masked hex prefix: the phone's list
# (D3 order, 1 3 6 42 43 66 67 150 190 191 192) has 190 (be) 9th.
dhcp-match=set:voice,55,*:*:*:*:*:*:*:*:be
tag-if=set:voicelan,tag:voice,tag:lan
dhcp-option-force=tag:voicelan,66,"$VNET.2"
dhcp-option-force=tag:voicelan,150,$VNET.2
dhcp-option-force=tag:voicelan,tag:st2030,43,"http://$VNET.1/prov/ST2030S.inf"
EOF
    fi
}

write_kea_conf() {
    local ifaces="\"eth0/$NET.1\"" vsubnet="" evallog="" voice="" lanservers st2030=""
    lanservers='
        { "name": "tftp-server-name", "data": "'"$NET.1"'", "always-send": true },
        { "name": "tftp-servers", "data": "'"$NET.2"'", "always-send": true },'
    # Class evaluation with the option bytes it saw (hex); --quiet drops it.
    ((QUIET)) || evallog=',
               { "name": "kea-dhcp4.eval", "severity": "DEBUG", "debuglevel": 55,
                 "output_options": [ { "output": "'"$LABDIR"'/kea-eval.log", "flush": true } ] }'
    if ((VLAN)); then
        ifaces+=", \"eth1/$VNET.1\""
        vsubnet=$(cat <<EOF
,
      { "id": 2, "subnet": "$VNET.0/24", "interface": "eth1",
        "pools": [ { "pool": "$VNET.100 - $VNET.199" } ],
        "next-server": "$NET.1", "server-hostname": "tftpsrv", "boot-file-name": "boot.inf",
        "option-data": [
          { "name": "routers", "data": "$VNET.1" },
          { "name": "domain-name-servers", "data": "$NET.1" },
          { "name": "tftp-server-name", "data": "$NET.1", "always-send": true },
          { "name": "tftp-servers", "data": "$NET.2", "always-send": true } ] }
EOF
)
        # As for dnsmasq: a phone asking for 190 (9th in its option 55) on
        # the untagged LAN gets VLAN $VID's servers. Subnet options beat
        # class options, so the untagged subnet's 66/150 move to a class.
        st2030=" and not member('voicelan')"
        voice=$(cat <<EOF
    { "name": "voicelan",
      "test": "pkt.iface == 'eth0' and substring(option[55].hex,8,1) == 0xbe",
      "option-data": [
        { "name": "tftp-server-name", "data": "$VNET.2", "always-send": true },
        { "name": "tftp-servers", "data": "$VNET.2", "always-send": true } ] },
    { "name": "lanservers", "test": "not member('voicelan')",
      "option-data": [${lanservers%,} ] },
    { "name": "st2030voice",
      "test": "substring(option[60].hex,0,11) == '0107Thomson' and member('voicelan')",
      "option-def": [ { "name": "vendor-encapsulated-options", "code": 43, "type": "string" } ],
      "option-data": [ { "name": "vendor-encapsulated-options",
                         "data": "http://$VNET.1/prov/ST2030S.inf", "always-send": true } ] },
EOF
)
        lanservers=""
    fi
    # Class options lose to subnet options in Kea 2.2, so 43 and 67 live only
    # in the classes; option 43 as a plain string needs a class option-def.
    cat >"$LABDIR/kea-dhcp4.conf" <<EOF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ $ifaces ], "dhcp-socket-type": "$KEA_SOCKET" },
  "lease-database": { "type": "memfile", "persist": true,
                      "name": "$LABDIR/kea-leases4.csv", "lfc-interval": 0 },
  "authoritative": true,
  "valid-lifetime": 3600,
  "option-def": [
    { "name": "tftp-servers", "code": 150, "space": "dhcp4", "type": "ipv4-address", "array": true },
    { "name": "vlan-enable", "code": 190, "space": "dhcp4", "type": "uint8" },
    { "name": "voice-vlan", "code": 191, "space": "dhcp4", "type": "uint16" },
    { "name": "data-vlan", "code": 192, "space": "dhcp4", "type": "uint16" } ],
  "client-classes": [$voice
    { "name": "st2030s",
      "test": "(substring(option[77].hex,1,all) == 'Thomson ST2030S') or (option[77].hex == 'Thomson ST2030S')",
      "option-data": [ { "name": "boot-file-name", "data": "ST2030S.inf", "always-send": true } ] },
    { "name": "st2030",
      "test": "substring(option[60].hex,0,11) == '0107Thomson'$st2030",
      "option-def": [ { "name": "vendor-encapsulated-options", "code": 43, "type": "string" } ],
      "option-data": [ { "name": "vendor-encapsulated-options",
                         "data": "http://$NET.1/prov/ST2030S.inf", "always-send": true } ] } ],
  "subnet4": [
    { "id": 1, "subnet": "$LAN", "interface": "eth0",
      "pools": [ { "pool": "$NET.100 - $POOL_LAST" } ],
      "next-server": "$NET.1", "server-hostname": "tftpsrv", "boot-file-name": "boot.inf",
      "option-data": [
        { "name": "routers", "data": "$NET.1" },
        { "name": "domain-name-servers", "data": "$NET.1" },$lanservers
        { "name": "vlan-enable", "data": "1", "always-send": true },
        { "name": "voice-vlan", "data": "100", "always-send": true },
        { "name": "data-vlan", "data": "200", "always-send": true } ] }$vsubnet ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "$LABDIR/kea-dhcp4.log", "flush": true } ] }$evallog ]
} }
EOF
}

write_nginx_conf() {
    local listen="listen $NET.1:80;"
    ((VLAN == 0)) || listen+=" listen $VNET.1:80;"
    mkdir -p "$LABDIR/nginx"
    cat >"$LABDIR/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $LABDIR/nginx.pid;
error_log $LABDIR/nginx-error.log;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format lab '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent "\$http_user_agent"';
    access_log $LABDIR/nginx-access.log lab;
    client_body_temp_path $LABDIR/nginx/body;
    proxy_temp_path $LABDIR/nginx/proxy;
    fastcgi_temp_path $LABDIR/nginx/fastcgi;
    uwsgi_temp_path $LABDIR/nginx/uwsgi;
    scgi_temp_path $LABDIR/nginx/scgi;
    sendfile on;
    server { $listen root $TREE; autoindex off; }
}
EOF
}

write_chrony_conf() {
    cat >"$LABDIR/chrony.conf" <<EOF
# NTP server only: -x keeps chronyd off the (shared, unnamespaced) clock.
local stratum 8
allow $LAN
allow $VNET.0/24
cmdallow $LAN
bindcmdaddress $NET.1
bindcmdaddress /
pidfile $LABDIR/chronyd.pid
EOF
}

# ---------------------------------------------------------------- up
link_up() { ip -n "$1" link set "$2" up; }

build_net() {
    local ns
    for ns in "${NSS[@]}"; do
        ip netns add "$ns"
        in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        link_up "$ns" lo
    done
    ip -n "$SW" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    ip -n "$SW" tuntap add dev tap0 mode tap
    ip -n "$SW" link add vsrv type veth peer name eth0 netns "$SRV"
    ip -n "$SW" link add vcli type veth peer name eth0 netns "$CLI"
    for ns in tap0 vsrv vcli; do
        ip -n "$SW" link set "$ns" master br0
        link_up "$SW" "$ns"
    done
    link_up "$SW" br0
    ip -n "$SRV" addr add "$NET.1/$PLEN" dev eth0
    ip -n "$SRV" addr add "$NET.2/$PLEN" dev eth0
    link_up "$SRV" eth0
    link_up "$CLI" eth0
    if ((VLAN)); then
        # VLAN $VID: its own bridge br$VID with srv eth1, cli eth1 and one end
        # of a veth whose other end (v${VID}t) vlantag.py ties to tap0.
        ip -n "$SW" link add "br$VID" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
        ip -n "$SW" link add "v$VID" type veth peer name "v${VID}t"
        ip -n "$SW" link add "vsrv$VID" type veth peer name eth1 netns "$SRV"
        ip -n "$SW" link add "vcli$VID" type veth peer name eth1 netns "$CLI"
        for ns in "v$VID" "vsrv$VID" "vcli$VID"; do
            ip -n "$SW" link set "$ns" master "br$VID"
            link_up "$SW" "$ns"
        done
        link_up "$SW" "v${VID}t"
        link_up "$SW" "br$VID"
        ip -n "$SRV" addr add "$VNET.1/24" dev eth1
        ip -n "$SRV" addr add "$VNET.2/24" dev eth1
        link_up "$SRV" eth1
        # A phone keeps its untagged lease's address when DHCP moves it to
        # VLAN $VID: replies from the VLAN's addresses go back over eth1
        # (tagged by vlantag.py), and eth1's ARP for such a phone comes from
        # an address on the phone's subnet.
        ip -n "$SRV" addr add "$VLAN_ONLAN/$PLEN" dev eth1 noprefixroute
        in_ns "$SRV" sysctl -qw net.ipv4.conf.eth1.arp_announce=1
        ip -n "$SRV" route add "$VNET.0/24" dev eth1 table "$VTABLE"
        ip -n "$SRV" route add "$LAN" dev eth1 table "$VTABLE"
        ip -n "$SRV" rule add from "$VNET.0/24" lookup "$VTABLE" pref 100
        link_up "$CLI" eth1
        # vlantag.py copies frames with packet sockets: a veth would hand it
        # UDP/TCP checksums left for an offload (the phone drops those) and
        # TCP super-frames larger than the TAP's MTU, so the VLAN's senders
        # finish every frame in software.
        in_ns "$SRV" ethtool -K eth1 tx off tso off gso off >/dev/null
        in_ns "$CLI" ethtool -K eth1 tx off tso off gso off >/dev/null
    fi
}

# Starts a server in the srv namespace with no tie to our stdio (a daemon
# holding our stdout would make callers that read it hang).
start_srv() {
    ip netns exec "$SRV" "$@" </dev/null >>"$LABDIR/daemons.out" 2>&1 ||
        die "$1 failed to start: $(tail -n 3 "$LABDIR/daemons.out")"
}

start_servers() {
    start_srv dnsmasq -C "$LABDIR/dnsmasq.conf"
    start_srv nginx -e "$LABDIR/nginx-error.log" -p "$LABDIR" -c "$LABDIR/nginx.conf"
    start_srv chronyd -x -f "$LABDIR/chrony.conf"
    start_srv in.tftpd --listen --address "$NET.2:69" --secure --user root \
        --pidfile "$LABDIR/tftpd.pid" "$TREE"
    if ((VLAN)); then
        start_srv in.tftpd --listen --address "$VNET.2:69" --secure --user root \
            --pidfile "$LABDIR/tftpd-vlan.pid" "$TREE"
    fi
    if ((VLAN)); then
        setsid ip netns exec "$SW" python3 "$HERE/vlantag.py" tap0 "v${VID}t" "$VID" "$LABDIR/vlantag.ready" \
            </dev/null >>"$LABDIR/daemons.out" 2>&1 &
    fi
    if [[ "$DHCP" == kea ]]; then
        KEA_PIDFILE_DIR=$LABDIR KEA_LOCKFILE_DIR=$LABDIR \
            setsid ip netns exec "$SRV" kea-dhcp4 -c "$LABDIR/kea-dhcp4.conf" \
            </dev/null >>"$LABDIR/daemons.out" 2>&1 &
        echo $! >"$LABDIR/kea.pid"
    fi
}

# What must be listening in srv before the lab is ready, as proto/addr:port.
expected_sockets() {
    echo udp/$NET.1:69 udp/$NET.2:69 tcp/$NET.1:80 udp/0.0.0.0:123 udp/$NET.1:323 udp/$NET.1:53
    if ((VLAN)); then echo udp/$VNET.1:69 udp/$VNET.2:69 tcp/$VNET.1:80 udp/$VNET.1:53; fi
    if [[ "$DHCP" == dnsmasq ]]; then echo udp/0.0.0.0:67; else echo udp/$NET.1:67; fi
}

missing_sockets() {
    local have want miss=""
    have=$(in_ns "$SRV" ss -Hlnut | awk '{print $1 "/" $5}')
    for want in $(expected_sockets); do
        grep -qxF "$want" <<<"$have" || miss+=" $want"
    done
    echo "$miss"
}

wait_ready() {
    local i miss=""
    for ((i = 0; i < 500; i++)); do
        miss=$(missing_sockets)
        [[ -n "$miss" ]] || break
        sleep 0.01
    done
    [[ -z "$miss" ]] || die "servers not listening after 5 s:$miss (see $LABDIR/*.log, daemons.out)"
    if [[ "$DHCP" == kea ]]; then
        for ((i = 0; i < 500; i++)); do
            grep -q DHCP4_STARTED "$LABDIR/kea-dhcp4.log" 2>/dev/null && break
            sleep 0.01
        done
        grep -q DHCP4_STARTED "$LABDIR/kea-dhcp4.log" || die "Kea did not start (see $LABDIR/kea-dhcp4.log)"
    fi
    # in.tftpd writes its pid file after the parent returns.
    for ((i = 0; i < 500; i++)); do
        [[ -s "$LABDIR/tftpd.pid" ]] && { ((VLAN == 0)) || [[ -s "$LABDIR/tftpd-vlan.pid" ]]; } && break
        sleep 0.01
    done
    [[ -s "$LABDIR/tftpd.pid" ]] || die "tftpd-hpa wrote no pid file"
    if ((VLAN)); then
        for ((i = 0; i < 500; i++)); do [[ -s "$LABDIR/vlantag.ready" ]] && break; sleep 0.01; done
        [[ -s "$LABDIR/vlantag.ready" ]] || die "vlantag.py did not start (see $LABDIR/daemons.out)"
    fi
    local p
    local ports=(vsrv vcli)
    ((VLAN == 0)) || ports+=("v$VID" "vsrv$VID" "vcli$VID")
    for p in "${ports[@]}"; do
        [[ $(port_state "$p") == forwarding ]] || die "bridge port $p is $(port_state "$p"), not forwarding"
    done
}

# Bridge port state of an interface in sw, as `ip` names it (forwarding,
# disabled, ...), read with `ip -n` so it works from any namespace.
port_state() {
    ip -n "$SW" -d -o link show "$1" 2>/dev/null | grep -o 'bridge_slave state [a-z]*' | awk '{print $3}'
}

# EXIT trap while building: tear down what exists, keep the logs.
up_failed() {
    local rc=$?
    trap - EXIT
    echo "lab.sh: up failed; tearing down (logs kept in $LABDIR)" >&2
    KEEP=1 lab_down || true
    exit $((rc == 0 ? 1 : rc))
}

lab_up() {
    [[ -n "$TREE" ]] || TREE=$REPO/assets/provisioning
    [[ -d "$TREE" ]] || die "tree '$TREE' is not a directory (give --dir TREE)"
    TREE=$(cd "$TREE" && pwd)
    # The path goes into server configs unquoted.
    [[ "$TREE" =~ ^[A-Za-z0-9_./+-]+$ ]] || die "tree path '$TREE' may hold only letters, digits and _ . / + -"
    [[ "$LABDIR" =~ ^[A-Za-z0-9_./+-]+$ ]] || die "lab dir '$LABDIR' may hold only letters, digits and _ . / + -"
    local ns
    for ns in "${NSS[@]}"; do
        ! ns_exists "$ns" || die "namespace $ns exists: lab '$NAME' is up (lab.sh down --name $NAME)"
    done
    # Left by a failed up (kept for its logs): safe to replace.
    if [[ -f "$LABDIR/.netlab" && ! -f "$LABDIR/lab.env" ]]; then rm -rf "$LABDIR"; fi
    [[ ! -e "$LABDIR" ]] || die "lab dir $LABDIR exists: lab '$NAME' is up or was kept (remove it)"
    local t0; t0=$(now)
    trap 'up_failed' EXIT
    mkdir -p "$LABDIR"
    : >"$LABDIR/.netlab"
    write_dnsmasq_conf
    [[ "$DHCP" != kea ]] || write_kea_conf
    write_nginx_conf
    write_chrony_conf
    build_net
    start_servers
    wait_ready
    cat >"$LABDIR/lab.env" <<EOF
NETLAB_NAME=$NAME
NETLAB_DIR=$LABDIR
NETLAB_TREE=$TREE
NETLAB_DHCP=$DHCP
NETLAB_VLAN=$VLAN
NETLAB_QUIET=$QUIET
NETLAB_SW_NS=$SW
NETLAB_SRV_NS=$SRV
NETLAB_CLI_NS=$CLI
NETLAB_TAP=tap0
NETLAB_SERVER=$NET.1
NETLAB_LAN=$LAN
NETLAB_POOL=$NET.100-$POOL_LAST
NETLAB_TFTP2=$NET.2
NETLAB_VLAN_ID=$VID
NETLAB_VLAN_SERVER=$VNET.1
NETLAB_VLAN_TFTP2=$VNET.2
NETLAB_VLAN_ONLAN=$VLAN_ONLAN
EOF
    trap - EXIT
    echo "lab $NAME up in $(since "$t0") s (dhcp $DHCP, vlan $VLAN); attach with: ip netns exec $SW <emulator> --net tap:tap0"
}

lab_status() {
    if [[ ! -f "$LABDIR/lab.env" ]]; then
        echo "lab $NAME: down"
        local ns; for ns in "${NSS[@]}"; do ! ns_exists "$ns" || echo "  stray namespace $ns"; done
        return 3
    fi
    cat "$LABDIR/lab.env"
    # shellcheck disable=SC1091
    source "$LABDIR/lab.env"
    DHCP=$NETLAB_DHCP VLAN=$NETLAB_VLAN
    echo "tap0 bridge port: $(port_state tap0) (forwarding once a process has attached)"
    local miss; miss=$(missing_sockets)
    if [[ -n "$miss" ]]; then echo "NOT listening:$miss"; return 1; fi
    echo "all servers listening"
}

# After a process attached to tap0: wait until the bridge forwards its frames.
wait_tap() {
    local t0 s; t0=$(now)
    while :; do
        s=$(port_state tap0)
        [[ "$s" != forwarding ]] || { echo "tap0 forwarding after $(since "$t0") s"; return 0; }
        awk -v e="$(since "$t0")" -v t="$TIMEOUT" 'BEGIN { exit !(e < t) }' || die "tap0 bridge port is '${s:-missing}' after $TIMEOUT s (is a process attached?)"
        sleep 0.001
    done
}

case "$CMD" in
    up) preflight; lab_up ;;
    down)
        ((EUID == 0)) || skip "needs root"
        t0=$(now); lab_down
        echo "lab $NAME down in $(since "$t0") s" ;;
    status) lab_status ;;
    wait-tap) wait_tap ;;
    *) usage ;;
esac
