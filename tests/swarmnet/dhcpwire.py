#!/usr/bin/env python3
"""DHCP on the wire: reads a pcap (Ethernet, as tcpdump writes it on the lab's
bridge) and prints, as KEY=VALUE lines, how many clients completed a DORA and
at what rate: from the first DISCOVER seen to the last client's first ACK.

    dhcpwire.py FILE.pcap

Counts every client (chaddr) that sent a DISCOVER in the capture; a client's
lease time is its first ACK. Standard library only; frames that are not
IPv4/UDP BOOTP (or are cut short) are skipped, never an error.
"""
import struct
import sys


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
    """(message type, chaddr hex) of a BOOTP frame, or None."""
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
            return frame[i + 2], chaddr
        i += 2 + n
    return None


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: dhcpwire.py FILE.pcap")
    first_discover = None
    discovers = 0
    clients = set()
    acked = {}
    naks = 0
    for t, frame in frames(sys.argv[1]):
        got = dhcp(frame)
        if not got:
            continue
        kind, mac = got
        if kind == 1:
            discovers += 1
            clients.add(mac)
            first_discover = t if first_discover is None else min(first_discover, t)
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


if __name__ == "__main__":
    main()
