#!/usr/bin/env python3
"""DHCP on the wire: reads a pcap (Ethernet, as tcpdump writes it on the lab's
bridge) and prints, as KEY=VALUE lines, how many clients completed a DORA and
at what rate: `rate` from the first DISCOVER seen to the last client's first
ACK (a client whose DISCOVER the server dropped waits for its retransmission,
seconds later, and that stretches the span); `bulk_rate` over the middle 90%
of first ACKs (5th to 95th percentile), the rate the server kept up while the
load lasted, as perfdhcp's achieved rate counts completed exchanges per
second of its run whatever it dropped; `first_try_rate` counts the clients
leased at their first try (one DISCOVER and one REQUEST before their first
ACK, within 4 s of the DISCOVER) over first DISCOVER -> the last such ACK: the DORA rate the server
achieved under the offered load, the exchanges it dropped (`retried`
clients, which retransmitted) left out as perfdhcp leaves out its drops. `offered_rate` is the clients' first DISCOVERs per
second (first to last), and `burst_rate` the first ACKs per second inside
that burst plus 100 ms (the server's answers to it): with the swarm offering
more than the server can take, `burst_rate` is what the server achieved
under it, the figure to set against perfdhcp's.

    dhcpwire.py FILE.pcap

Counts every client (chaddr) that sent a DISCOVER in the capture (its own,
not a relay agent's copy, which has giaddr set); a client's lease time is its
first ACK (from the server to the relay, when there is one). Standard library only; frames that are not
IPv4/UDP BOOTP (or are cut short) are skipped, never an error.
"""
import struct
import sys

# No DHCP client retransmits sooner (the phones' firmware: a REQUEST after
# 5 s, a DISCOVER after 10 s).
RETRANSMIT_S = 4.0


def frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack("<I", head[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            raise SystemExit(f"dhcpwire.py: {path} is not a pcap file")
        nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _ = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield sec + frac / (1e9 if nano else 1e6), data


def dhcp(frame):
    """(message type, chaddr hex, relayed) of a BOOTP frame, or None;
    relayed: giaddr is set (a relay agent's copy, not the client's own)."""
    off = 14
    etype = struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else 0
    if etype == 0x8100 and len(frame) >= 18:
        etype = struct.unpack("!H", frame[16:18])[0]
        off = 18
    if etype != 0x0800 or len(frame) < off + 20:
        return None
    ihl = (frame[off] & 0x0F) * 4
    if frame[off + 9] != 17:
        return None
    udp = off + ihl
    if len(frame) < udp + 8:
        return None
    sport, dport = struct.unpack("!HH", frame[udp:udp + 4])
    if {sport, dport} - {67, 68}:
        return None
    b = udp + 8
    if len(frame) < b + 240 or frame[b + 236:b + 240] != b"\x63\x82\x53\x63":
        return None
    chaddr = frame[b + 28:b + 34].hex()
    relayed = frame[b + 24:b + 28] != b"\0\0\0\0"
    i = b + 240
    while i < len(frame):
        code = frame[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(frame):
            break
        n = frame[i + 1]
        if code == 53 and n >= 1 and i + 2 < len(frame):
            return frame[i + 2], chaddr, relayed
        i += 2 + n
    return None


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: dhcpwire.py FILE.pcap")
    first_discover = None
    first_of = {}
    discovers = 0
    clients = set()
    acked = {}
    second_discover = {}
    tries = {}
    naks = 0
    for t, frame in frames(sys.argv[1]):
        got = dhcp(frame)
        if not got:
            continue
        kind, mac, relayed = got
        if kind == 1 and not relayed:
            discovers += 1
            if mac in clients:
                second_discover.setdefault(mac, t)
            first_of.setdefault(mac, t)
            if mac not in acked:
                tries[mac] = tries.get(mac, 0) + 1
            clients.add(mac)
            first_discover = t if first_discover is None else min(first_discover, t)
        elif kind == 3 and not relayed and mac in clients and mac not in acked:
            tries[mac] = tries.get(mac, 0) + 1
        elif kind == 5 and mac in clients:
            acked.setdefault(mac, t)
        elif kind == 6:
            naks += 1
    span = (max(acked.values()) - first_discover) if acked else 0.0
    print(f"clients={len(clients)}")
    print(f"acked={len(acked)}")
    print(f"discovers={discovers}")
    print(f"naks={naks}")
    print(f"span_s={span:.3f}")
    print(f"rate={len(acked) / span if span > 0 else 0.0:.1f}")
    times = sorted(acked.values())
    lo, hi = int(len(times) * 0.05), int(len(times) * 0.95)
    bulk = times[hi - 1] - times[lo] if hi - 1 > lo else 0.0
    print(f"bulk_span_s={bulk:.3f}")
    print(f"bulk_rate={(hi - 1 - lo) / bulk if bulk > 0 else 0.0:.1f}")
    # At their first try: one DISCOVER and one REQUEST seen, and leased
    # before any client retransmits (a REQUEST the server dropped on the way
    # in may never show on the capture, but its retransmission comes after
    # RETRANSMIT_S).
    first = [t for mac, t in acked.items() if tries.get(mac, 0) <= 2 and t - first_of[mac] < RETRANSMIT_S]
    first_span = (max(first) - first_discover) if first else 0.0
    print(f"retried={len(clients) - len(first)}")
    print(f"first_try={len(first)}")
    print(f"first_try_span_s={first_span:.3f}")
    print(f"first_try_rate={len(first) / first_span if first_span > 0 else 0.0:.1f}")
    starts = sorted(first_of.values())
    offered = starts[-1] - starts[0] if starts else 0.0
    print(f"offered_span_s={offered:.3f}")
    print(f"offered_rate={(len(starts) - 1) / offered if offered > 0 else 0.0:.1f}")
    window = offered + 0.1
    in_burst = sum(1 for t in acked.values() if starts and t <= starts[0] + window)
    print(f"burst_acked={in_burst}")
    print(f"burst_rate={in_burst / window if starts else 0.0:.1f}")


if __name__ == "__main__":
    main()
