#!/usr/bin/env python3
"""Matches a swarm report (JSON) against nginx's access log of the lab: for
every phone, the files it says it fetched (`fetched`) must be the 200 lines
nginx logged for its MAC (the User-Agent ends with the MAC, `00-90-96-…`),
and no 200 may come from a MAC outside the report.

    nginxmatch.py REPORT.json ACCESS.log

Prints the totals and up to 10 mismatches; exit 0 when everything matches,
1 otherwise.
"""
import json
import sys


def served_per_mac(path):
    n = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if '" 200 ' not in line:
                continue
            parts = line.rstrip("\n").rsplit('"', 2)
            ua = parts[1] if len(parts) == 3 else ""
            mac = ua.rsplit(" ", 1)[-1].replace("-", "").upper()
            n[mac] = n.get(mac, 0) + 1
    return n


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: nginxmatch.py REPORT.json ACCESS.log")
    with open(sys.argv[1], encoding="utf-8") as f:
        report = json.load(f)
    served = served_per_mac(sys.argv[2])
    bad = []
    for p in report["per_phone"]:
        got = served.get(p["mac"], 0)
        if got != p["fetched"]:
            bad.append(f"{p['mac']}: report fetched {p['fetched']}, nginx 200s {got}")
    macs = {p["mac"] for p in report["per_phone"]}
    strangers = sorted(set(served) - macs)
    bad += [f"{m}: {served[m]} 200s from a MAC not in the report" for m in strangers]
    fetched = sum(p["fetched"] for p in report["per_phone"])
    print(f"nginx_200={sum(served.values())} report_fetched={fetched} "
          f"phones_in_log={len(served)} phones_in_report={len(macs)} mismatches={len(bad)}")
    for b in bad[:10]:
        print(f"  mismatch {b}")
    sys.exit(1 if bad or sum(served.values()) != fetched else 0)


if __name__ == "__main__":
    main()
