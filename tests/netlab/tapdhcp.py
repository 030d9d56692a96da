#!/usr/bin/env python3
"""A stand-in phone on the lab's TAP: checks the exact path the emulator uses.

Run inside the switch namespace (`ip netns exec PREFIX-sw tapdhcp.py`). It
attaches to tap0 the way the emulator does (TUNSETIFF, IFF_TAP|IFF_NO_PI,
after checking the device exists), waits until the bridge port forwards,
broadcasts one DHCPDISCOVER carrying the phone's options (60 in the D1 string
form, 77 raw, 55 with 190-192) and prints the OFFER as `key=value` lines:
`forwarding_us`, `offer_us`, `yiaddr`, `siaddr`, `sname`, `file` and `optN`
(hex), in the spirit of busybox udhcpc's script environment.
With `--vlan VID` the DISCOVER is 802.1Q-tagged VID and only a reply
tagged VID counts. Exit status: 0 with an OFFER, 1 on any error (message
on stderr).
Standard library only (the lab must not need pip).
"""
import fcntl
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
TAP = "tap0"
MAC = bytes.fromhex("00147fe147b3")
VENDOR_CLASS = b"0107Thomson0206ST20300303SIP"
USER_CLASS = b"Thomson ST2030S"
REQUEST_LIST = bytes([1, 3, 6, 42, 43, 66, 67, 150, 190, 191, 192])


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def discover(xid: int, vid) -> bytes:
    opts = bytes([53, 1, 1])
    for code, val in ((60, VENDOR_CLASS), (77, USER_CLASS), (55, REQUEST_LIST)):
        opts += bytes([code, len(val)]) + val
    opts += b"\xff"
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                        b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4, MAC, b"", b"")
    bootp += b"\x63\x82\x53\x63" + opts
    udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0) + bootp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     b"\0" * 4, b"\xff" * 4)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    tag = b"" if vid is None else struct.pack("!HH", 0x8100, vid)
    return b"\xff" * 6 + MAC + tag + b"\x08\x00" + ip + udp


def parse_offer(frame: bytes, xid: int, vid):
    """The BOOTP reply for `xid` in an Ethernet frame tagged `vid`, or None."""
    if vid is not None:
        if frame[12:14] != b"\x81\x00" or struct.unpack("!H", frame[14:16])[0] & 0x0FFF != vid:
            return None
        frame = frame[:12] + frame[16:]
    if len(frame) < 14 + 20 + 8 + 240 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0x0F) * 4
    if frame[14 + 9] != 17:
        return None
    udp = 14 + ihl
    if struct.unpack("!H", frame[udp + 2:udp + 4])[0] != 68:
        return None
    b = frame[udp + 8:]
    if b[0] != 2 or struct.unpack("!I", b[4:8])[0] != xid or b[236:240] != b"\x63\x82\x53\x63":
        return None
    out = {
        "yiaddr": ".".join(map(str, b[16:20])),
        "siaddr": ".".join(map(str, b[20:24])),
        "sname": b[44:108].split(b"\0")[0].decode("latin-1"),
        "file": b[108:236].split(b"\0")[0].decode("latin-1"),
    }
    i = 240
    while i < len(b) and b[i] != 255:
        if b[i] == 0:
            i += 1
            continue
        if i + 1 >= len(b) or i + 2 + b[i + 1] > len(b):
            raise ValueError("truncated option in reply")
        out[f"opt{b[i]}"] = b[i + 2:i + 2 + b[i + 1]].hex()
        i += 2 + b[i + 1]
    return out


def main() -> int:
    vid = None
    if sys.argv[1:2] == ["--vlan"] and len(sys.argv) == 3 and sys.argv[2].isdigit():
        vid = int(sys.argv[2])
    elif len(sys.argv) != 1:
        print("usage: tapdhcp.py [--vlan VID]", file=sys.stderr)
        return 2
    if not os.path.exists(f"/sys/class/net/{TAP}"):
        print(f"tapdhcp: no {TAP} in this namespace (run under ip netns exec PREFIX-sw)", file=sys.stderr)
        return 1
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", TAP.encode(), IFF_TAP | IFF_NO_PI))
    t0 = time.monotonic()
    state_file = f"/sys/class/net/{TAP}/brport/state"
    while open(state_file).read().strip() != "3":
        if time.monotonic() - t0 > 5:
            print("tapdhcp: bridge port not forwarding after 5 s", file=sys.stderr)
            return 1
        time.sleep(0.0001)
    forwarding_us = int((time.monotonic() - t0) * 1e6)
    xid = random.getrandbits(32)
    frame = discover(xid, vid)
    sent = time.monotonic()
    os.write(fd, frame)
    deadline = sent + 3
    retransmitted = False
    while time.monotonic() < deadline:
        if not retransmitted and time.monotonic() - sent > 1:
            os.write(fd, frame)
            retransmitted = True
        r, _, _ = select.select([fd], [], [], 0.1)
        if not r:
            continue
        reply = parse_offer(os.read(fd, 65536), xid, vid)
        if reply is None:
            continue
        print(f"forwarding_us={forwarding_us}")
        print(f"offer_us={int((time.monotonic() - sent) * 1e6)}")
        print(f"retransmitted={int(retransmitted)}")
        for k, v in reply.items():
            print(f"{k}={v}")
        return 0
    print("tapdhcp: no OFFER within 3 s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
