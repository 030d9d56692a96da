#!/usr/bin/env python3
"""802.1Q tagger between the phone's TAP (a trunk) and one VLAN's bridge.

    vlantag.py TRUNK ACCESS VID READY_FILE      (run in the switch namespace)

Frames the phone sends on TRUNK tagged VID leave on ACCESS untagged; frames
arriving on ACCESS go to the phone on TRUNK tagged VID (priority 0). Other
frames are left to the ordinary bridge. Exists because the lab machine's
kernel has neither 802.1Q devices (CONFIG_VLAN_8021Q) nor bridge VLAN
filtering, so only user space can terminate a tag; the core kernel still
moves a received tag into packet metadata, which PACKET_AUXDATA returns.
Writes READY_FILE once both sockets are bound; runs until killed.
Standard library only.
"""
import os
import select
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
AUX = struct.Struct("IIIHHHH")


def open_port(ifname: str) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((ifname, ETH_P_ALL))
    return s


def receive(s: socket.socket):
    """(frame, vid or None) for a frame that came in on the port, else None."""
    data, anc, _flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(AUX.size))
    if addr[2] == PACKET_OUTGOING:
        return None
    vid = None
    for level, kind, value in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(value) >= AUX.size:
            status, _len, _snap, _mac, _net, tci, _tpid = AUX.unpack(value[:AUX.size])
            if status & TP_STATUS_VLAN_VALID:
                vid = tci & 0x0FFF
    # A tag the kernel left in band (no offload) is read from the frame.
    if vid is None and len(data) >= 18 and data[12:14] == b"\x81\x00":
        vid = struct.unpack("!H", data[14:16])[0] & 0x0FFF
        data = data[:12] + data[16:]
    return data, vid


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    trunk_if, access_if, vid_text, ready = sys.argv[1:]
    vid = int(vid_text)
    if not 1 <= vid <= 4094:
        print(f"vlantag: VID {vid} not in 1..4094", file=sys.stderr)
        return 2
    trunk, access = open_port(trunk_if), open_port(access_if)
    tag = struct.pack("!HH", 0x8100, vid)
    with open(ready, "w") as f:
        f.write(f"{os.getpid()}\n")
    while True:
        for s in select.select([trunk, access], [], [])[0]:
            got = receive(s)
            if got is None or len(got[0]) < 14:
                continue
            frame, fvid = got
            try:
                if s is trunk and fvid == vid:
                    access.send(frame)
                elif s is access and fvid is None:
                    trunk.send(frame[:12] + tag + frame[12:])
            except OSError:
                # No phone attached to the TAP yet, or a full queue: a
                # wire would drop the frame too.
                pass


if __name__ == "__main__":
    sys.exit(main())
