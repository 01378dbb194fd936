#!/usr/bin/env python3
"""Helpers for bench/run.sh.

  report.py parse WORKLOAD FILE   one client output -> "rate units errors"
  report.py report RAW.tsv        medians, ratios to HAProxy, markdown table
"""
import json
import re
import statistics
import sys

WORKLOADS = {
    # name: (label, rate unit, cpu-per-unit label, cpu seconds per unit -> shown value)
    "rps": ("requests/s, keep-alive", "req/s", "µs CPU/req", 1e6),
    "cps": ("new connections/s", "conn/s", "µs CPU/conn", 1e6),
    "bulk-up": ("bulk client→server", "Gbit/s", "CPU-s/GB", 1e9),
    "bulk-down": ("bulk server→client", "Gbit/s", "CPU-s/GB", 1e9),
}
PROXY_NAMES = {"ringproxy": "ringproxy", "haproxy": "HAProxy", "nginx": "nginx"}
ERROR_LIMIT = 0.01  # a run with more failed requests than this share is discarded


def parse(workload, path):
    text = open(path, errors="replace").read()
    if workload in ("rps", "cps"):
        rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
        total = re.search(r"(\d+) requests in", text)
        if not rate or not total:
            sys.exit("no wrk summary")
        errors = 0
        sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        if sock:
            errors += sum(int(x) for x in sock.groups())
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        if non2xx:
            errors += int(non2xx.group(1))
        print(f"{float(rate.group(1)):.1f} {int(total.group(1))} {errors}")
    else:
        data = json.loads(text[text.index("{"):])
        if "error" in data:
            sys.exit(data["error"])
        received = data["end"]["sum_received"]
        if received["bytes"] <= 0:
            sys.exit("no bytes received")
        print(f"{received['bits_per_second'] / 1e9:.3f} {received['bytes']} 0")


def fmt_rate(value, workload):
    if value is None:
        return "n/a"
    if workload in ("rps", "cps"):
        return f"{value:,.0f}"
    return f"{value:.2f}"


def fmt_cpu(value):
    if value is None:
        return "n/a"
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def fmt_ratio(num, den):
    if num is None or den is None or den == 0:
        return "n/a"
    return f"{num / den:.2f}"


def is_good(row):
    """A run that counts: it finished and at most ERROR_LIMIT of its requests failed."""
    return row["status"] == "ok" and float(row["units"]) > 0 \
        and int(row["errors"]) <= ERROR_LIMIT * float(row["units"])


def report(raw_path):
    meta, rows = [], []
    with open(raw_path) as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# "):
                meta.append(line[2:])
            elif header is None:
                header = line.split("\t")
            elif line:
                rows.append(dict(zip(header, line.split("\t"))))

    threads = sorted({int(r["threads"]) for r in rows})
    proxies = [p for p in ("haproxy", "nginx", "ringproxy") if any(r["proxy"] == p for r in rows)]
    workloads = [w for w in WORKLOADS if any(r["workload"] == w for r in rows)]

    # (threads, workload, proxy) -> summary
    summary = {}
    for t in threads:
        for w in workloads:
            scale = WORKLOADS[w][3]
            good_runs = {}
            for p in proxies:
                runs = [r for r in rows if int(r["threads"]) == t and r["workload"] == w and r["proxy"] == p]
                good = good_runs[p] = [r for r in runs if is_good(r)]
                rates = [float(r["rate"]) for r in good]
                cpus = [float(r["cpu_s"]) / float(r["units"]) * scale for r in good]
                s = {"runs": len(runs), "good": len(good), "rate": None, "cpu": None, "spread": None,
                     "errors": sum(int(r["errors"]) for r in runs if r["status"] == "ok")}
                if good:
                    s["rate"] = statistics.median(rates)
                    s["cpu"] = statistics.median(cpus)
                    if len(rates) > 1 and s["rate"] > 0:
                        s["spread"] = (max(rates) - min(rates)) / s["rate"] * 100
                summary[(t, w, p)] = s
            # Same-round comparison: both proxies ran back to back, so slow drift
            # of the machine cancels out of each round's ratio.
            base_rates = {r["round"]: float(r["rate"]) for r in good_runs.get("haproxy", [])}
            for p in proxies:
                ratios = [float(r["rate"]) / base_rates[r["round"]] for r in good_runs[p]
                          if base_rates.get(r["round"], 0) > 0]
                summary[(t, w, p)]["paired"] = statistics.median(ratios) if ratios else None
                summary[(t, w, p)]["ahead"] = f"{sum(x > 1 for x in ratios)}/{len(ratios)}" if ratios else ""

    out = []
    out.append("ringproxy benchmark: medians of interleaved rounds (bench/README.md explains the columns)")
    out.extend("  " + m for m in meta)
    for t in threads:
        out.append("")
        out.append(f"== {t} thread(s) per proxy ==")
        out.append(f"{'workload':<24} {'proxy':<10} {'rate':>12} {'unit':<7} {'CPU/unit':>9} {'unit':<11}"
                   f" {'rate÷HAP':>8} {'CPU÷HAP':>8} {'runs':>5} {'spread':>7} {'paired':>7} {'ahead':>6}")
        for w in workloads:
            label, unit, cpu_unit, _ = WORKLOADS[w]
            base = summary.get((t, w, "haproxy"))
            for i, p in enumerate(proxies):
                s = summary[(t, w, p)]
                spread = f"{s['spread']:.0f}%" if s["spread"] is not None else ""
                compared = p != "haproxy" and s["paired"] is not None
                paired = f"{s['paired']:.2f}" if compared else ""
                ahead = s["ahead"] if compared else ""
                out.append(f"{label if i == 0 else '':<24} {p:<10} {fmt_rate(s['rate'], w):>12} {unit:<7}"
                           f" {fmt_cpu(s['cpu']):>9} {cpu_unit:<11}"
                           f" {fmt_ratio(s['rate'], base and base['rate']):>8}"
                           f" {fmt_ratio(s['cpu'], base and base['cpu']):>8}"
                           f" {s['good']}/{s['runs']:<3} {spread:>7} {paired:>7} {ahead:>6}")
    out.append("")
    out.append("rate÷HAP > 1 is faster than HAProxy; CPU÷HAP < 1 spends less CPU per request/GB than HAProxy.")
    out.append("runs = runs counted / runs made (failed runs, or runs with >1% failed requests, are not counted);")
    out.append("spread = (max - min) / median of the rate over the counted runs.")
    out.append("paired = median over rounds of the rate ÷ HAProxy's rate in the same round (the two ran back to")
    out.append("back, so the machine's slow drift cancels); ahead = rounds in which the rate beat HAProxy's.")

    # Markdown, ready for the README.
    others = [p for p in proxies if p != "haproxy"]
    out.append("")
    out.append("Markdown:")
    out.append("")
    head = ["Workload", "Threads"] + [PROXY_NAMES[p] for p in proxies] + \
           [f"{PROXY_NAMES[p]} ÷ HAProxy (rate / CPU)" for p in others if "haproxy" in proxies]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join("---" for _ in head) + "|")
    for w in workloads:
        label, unit, cpu_unit, _ = WORKLOADS[w]
        for t in threads:
            cells = [label, str(t)]
            for p in proxies:
                s = summary[(t, w, p)]
                cells.append("n/a" if s["rate"] is None else
                             f"{fmt_rate(s['rate'], w)} {unit}, {fmt_cpu(s['cpu'])} {cpu_unit}")
            if "haproxy" in proxies:
                base = summary[(t, w, "haproxy")]
                for p in others:
                    s = summary[(t, w, p)]
                    r1, r2 = fmt_ratio(s["rate"], base["rate"]), fmt_ratio(s["cpu"], base["cpu"])
                    cells.append("n/a" if r1 == "n/a" and r2 == "n/a" else f"{r1} / {r2}")
            out.append("| " + " | ".join(cells) + " |")
    settings = next((m for m in meta if m.startswith("settings=")), "")
    host = next((m for m in meta if m.startswith("host=")), "")
    out.append("")
    out.append(f"Medians of `make bench` on {host[5:]}; {settings[9:]}.")
    print("\n".join(out))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "parse":
        parse(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
