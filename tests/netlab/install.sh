#!/usr/bin/env bash
# Installs the Debian packages the real-server lab (lab.sh) needs.
#
# Idempotent: when every package is already installed it only checks and exits
# (well under a second). While installing, a policy-rc.d that answers 101
# ("action forbidden") is in place so no package starts a system-wide service
# in the default namespace; any such daemon found running afterwards is stopped
# through its init script. Needs root.
set -euo pipefail

PKGS=(dnsmasq-base kea-dhcp4-server kea-admin tftpd-hpa nginx-light chrony python3-minimal
      tcpdump busybox isc-dhcp-client ethtool)
# Init scripts of the packages above that could start a daemon.
SERVICES=(isc-kea-dhcp4-server kea-dhcp4-server tftpd-hpa nginx chrony)

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$st" == installed ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi
if ((EUID != 0)); then
    echo "install.sh: must be root to install: ${missing[*]}" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
saved=""
restore_policy() {
    if [[ -n "$saved" ]]; then
        mv -f "$saved" "$policy"
    else
        rm -f "$policy"
    fi
}
if [[ -e "$policy" ]]; then
    saved=$(mktemp /usr/sbin/policy-rc.d.netlab.XXXXXX)
    cp -p "$policy" "$saved"
fi
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt_install() {
    apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}"
}
echo "install.sh: installing ${missing[*]}"
if ! apt_install; then
    apt-get update
    apt_install
fi

# Belt and braces: with no systemd, policy-rc.d is the only gate; if a daemon
# was started anyway, stop it through its own init script.
for s in "${SERVICES[@]}"; do
    if [[ -x "/etc/init.d/$s" ]]; then
        "/etc/init.d/$s" status >/dev/null 2>&1 && "/etc/init.d/$s" stop || true
    fi
done
exit 0
