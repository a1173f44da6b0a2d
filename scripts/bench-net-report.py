#!/usr/bin/env python3
"""The make bench-net table from a domU console log (tests/domu/domu-bench.sh).

Per frontend and direction, summed over the rounds: throughput (MB/s, MB =
10^6 bytes), the domU's busy CPU time per MB (user + nice + system + irq +
softirq jiffies of /proc/stat), the frontend's grant operations (grants
made plus ended) per packet (packets: the interface's rx + tx),
and xen-netback's grant copy, map and unmap operations and grant-table
hypercalls (calls of gnttab_batch_copy, gnttab_map_refs, gnttab_unmap_refs)
per packet.  Ratios are to the stock xen-netfront in the same boot.
"""
import argparse
import re
import sys

FRONTENDS = [("stock", "stock xen-netfront"), ("kept", "xen_slab_vif kept"),
             ("per-request", "xen_slab_vif per-request")]
DIRS = [("rx", "dom0 -> domU (frontend rx)"), ("tx", "domU -> dom0 (frontend tx)")]
NB = ["copy_calls", "copy_ops", "map_calls", "map_ops", "unmap_calls", "unmap_ops"]


def parse(path):
    runs = {}
    setup = ""
    reports = []
    line_re = re.compile(r"XSC-BENCHNET: (frontend=.*)$")
    with open(path, errors="replace") as f:
        for line in f:
            if "XSC-BENCHNET: setup" in line:
                setup = line.split("XSC-BENCHNET: setup", 1)[1].strip()
            if "XSC-BENCHNET: report" in line:
                reports.append(line.split("XSC-BENCHNET: report", 1)[1].strip())
            m = line_re.search(line)
            if not m:
                continue
            kv = dict(p.split("=", 1) for p in m.group(1).split())
            key = (kv["frontend"], kv["dir"])
            r = runs.setdefault(key, {"secs": 0.0, "cpu": 0, "packets": 0, "grants": 0,
                                      "bytes": 0, "rounds": 0, "nb": [0] * 6, "nbok": True,
                                      "grants_ok": True, "tputs": [], "cpus": []})
            rmb = int(kv["mib"]) * 1.048576
            if float(kv["secs"]) > 0:
                r["tputs"].append(rmb / float(kv["secs"]))
            r["cpus"].append(int(kv["cpu_jiffies"]) * 10.0 / rmb)
            r["secs"] += float(kv["secs"])
            r["cpu"] += int(kv["cpu_jiffies"])
            r["packets"] += int(kv["packets"])
            g = int(kv.get("fe_ops", kv.get("fe_grants", -1)))
            if g < 0:
                r["grants_ok"] = False
            r["grants"] += max(g, 0)
            r["bytes"] += int(kv["mib"]) * 1048576
            r["rounds"] += 1
            nb0 = [int(x) for x in kv["nb0"].strip(",").split(",")]
            nb1 = [int(x) for x in kv["nb1"].strip(",").split(",")]
            if len(nb0) != 6 or len(nb1) != 6 or min(nb0) < 0:
                r["nbok"] = False
            else:
                r["nb"] = [a + (b - c) for a, b, c in zip(r["nb"], nb1, nb0)]
    return setup, runs, reports


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--command", default="scripts/bench-net.sh")
    ap.add_argument("--kernel", default="?")
    a = ap.parse_args()
    setup, runs, reports = parse(a.log)
    if not runs:
        print("bench-net-report: no XSC-BENCHNET lines in " + a.log, file=sys.stderr)
        return 1
    print(f"# make bench-net: {a.command}")
    print(f"# domU: {setup}; dom0: Debian 12's 6.1 as PV dom0, Xen 4.17, QEMU TCG")
    print("# same vif device, same boot; ratios are to the stock xen-netfront")
    print()
    def rows():
        for d, dname in DIRS:
            base = runs.get(("stock", d))
            for fe, fname in FRONTENDS:
                r = runs.get((fe, d))
                if r:
                    yield dname, fname, r, base

    def spread(v, fmt):
        return f"{min(v):{fmt}}-{max(v):{fmt}}" if v else "-"

    print("| direction | frontend | MB/s | ratio | domU CPU ms/MB | ratio | packets/MB "
          "| MB/s per round | CPU ms/MB per round |")
    print("|---|---|---|---|---|---|---|---|---|")
    for dname, fname, r, base in rows():
        mb = r["bytes"] / 1e6
        tput = mb / r["secs"] if r["secs"] > 0 else 0.0
        cpu = r["cpu"] * 10.0 / mb  # jiffies of 10 ms
        cols = [dname, fname, f"{tput:.2f}"]
        if base and base["secs"] > 0:
            cols.append(f"{tput / ((base['bytes'] / 1e6) / base['secs']):.2f}x")
        else:
            cols.append("-")
        cols.append(f"{cpu:.1f}")
        if base and base["cpu"] > 0:
            cols.append(f"{cpu / (base['cpu'] * 10.0 / (base['bytes'] / 1e6)):.2f}x")
        else:
            cols.append("-")
        cols.append(f"{r['packets'] / mb:.0f}")
        cols.append(spread(r["tputs"], ".1f"))
        cols.append(spread(r["cpus"], ".1f"))
        print("| " + " | ".join(cols) + " |")
    print()
    # The goal for the kept-grant mode, from the sums above.
    for d, dname in DIRS:
        base, kept = runs.get(("stock", d)), runs.get(("kept", d))
        if not base or not kept or base["secs"] <= 0 or kept["secs"] <= 0 or base["cpu"] <= 0:
            continue
        t = (kept["bytes"] / kept["secs"]) / (base["bytes"] / base["secs"])
        c = (kept["cpu"] / kept["bytes"]) / (base["cpu"] / base["bytes"])
        ok = t >= 1.0 and c <= 1.0
        print(f"# goal, kept grants, {dname}: throughput {t:.2f}x (>= 1.0x), "
              f"CPU per MB {c:.2f}x (<= 1.0x): {'met' if ok else 'missed'}")
    print()
    print("Grant operations (packets: the frontend interface's rx + tx; both frontends send and")
    print("receive GSO packets of up to 64 KiB):")
    print()
    print("| direction | frontend | frontend grant ops/packet | per MB | netback copy ops/packet "
          "| map ops/packet | unmap ops/packet | netback grant ops/MB | netback grant hypercalls/packet |")
    print("|---|---|---|---|---|---|---|---|---|")
    for dname, fname, r, base in rows():
        mb = r["bytes"] / 1e6
        p = max(r["packets"], 1)
        cols = [dname, fname]
        if r["grants_ok"]:
            cols += [f"{r['grants'] / p:.3f}", f"{r['grants'] / mb:.1f}"]
        else:
            cols += ["n/a", "n/a"]
        if r["nbok"]:
            nb = r["nb"]
            cols += [f"{nb[1] / p:.3f}", f"{nb[3] / p:.3f}", f"{nb[5] / p:.3f}",
                     f"{(nb[1] + nb[3] + nb[5]) / mb:.1f}", f"{(nb[0] + nb[2] + nb[4]) / p:.3f}"]
        else:
            cols += ["n/a"] * 5
        print("| " + " | ".join(cols) + " |")
    print()
    for fe, fname in FRONTENDS:
        n = sum(runs[(fe, d)]["packets"] for d, _ in DIRS if (fe, d) in runs)
        rounds = max((runs[(fe, d)]["rounds"] for d, _ in DIRS if (fe, d) in runs), default=0)
        print(f"# {fname}: {rounds} round(s), {n} packets on the interface")
    for rep in reports:
        print(f"# at unbind: {rep}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
