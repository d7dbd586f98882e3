#!/usr/bin/env python3
"""Where a c = 1 request's stalls happen: in the client's view, inside the server, and on the cores.

    python3 bench/server/stalls.py [digits_1|heavy_1] [windows] [concurrency]

Starts the server (baseline batching, 1 intra-op thread), warms it up as bench.py does (30,000
requests and the JIT quiet, at most 60 s), then for each 10 s window of one connection (wrk with server/trace.lua) prints:
- the client's view: requests that took over 1, 2 and 4 ms;
- the server's view, from its Prometheus histograms over the same window: requests whose time
  inside the server (modelship_inference_request_duration_seconds), wait for the batch worker
  (..._queue_duration_seconds) or ONNX Runtime call (..._compute_duration_seconds) exceeded 1, 2
  and 5 ms — a slow request the server did not see was slow in the HTTP stack or the client;
- every thread that used CPU or was switched out: CPU ms (/proc/<pid>/task/<tid>/stat), voluntary
  context switches (it waited: a parked worker, an event loop in epoll) and involuntary ones (it was
  runnable and the scheduler gave its core to another thread). The JIT still compiling shows up as
  "C2 CompilerThre" CPU.
With a concurrency above 1 (the per-thread view of a loaded server: is the batch worker ever waiting,
how often is it preempted) the load is plain wrk with that many connections and the client's per-request
view is left out: tracing every request in Lua would change the load it measures.
"""
import os
import re
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bench  # noqa: E402

HISTOGRAMS = {"in the server": "modelship_inference_request_duration_seconds",
              "waiting for the worker": "modelship_inference_queue_duration_seconds",
              "in ONNX Runtime": "modelship_inference_compute_duration_seconds"}


def over(port):
    """{histogram label: {bucket bound in s: observations above it}} summed over the REST series."""
    with urllib.request.urlopen(f"http://{bench.HOST}:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for label, name in HISTOGRAMS.items():
        buckets, total = {}, 0.0
        for labels, value in re.findall(name + r"_bucket\{([^}]*)\} (\S+)", text):
            if 'protocol="grpc"' in labels:
                continue
            le = re.search(r'le="([^"]+)"', labels).group(1)
            if le == "+Inf":
                total += float(value)
            else:
                buckets[float(le)] = buckets.get(float(le), 0.0) + float(value)
        out[label] = {le: total - n for le, n in buckets.items()}
    return out


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "digits_1"
    windows = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    conc = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    bench.prepare()
    model = bench.DIGITS if name.startswith("digits") else bench.HEAVY
    body = bench.body(name)
    tick_ms = 1000 / bench.CLK_TCK
    port = 31495
    with bench.Server(model, port, intra=1) as s:
        bench.warm(s, body, conc, 30000, 60)
        for w in range(windows):
            t0, h0 = bench.thread_stats(s.pid), over(port)
            if conc == 1:
                r, reqs = bench.wrk_traced(s, body, 10)
            else:
                r, reqs = bench.wrk(s.url, body, conc, 10), None
            t1, h1 = bench.thread_stats(s.pid), over(port)
            print(f"window {w + 1}: {r['requests']:.0f} requests, wrk p99 {r['p99_ms']} ms (corrected), load {bench.load1()}")
            if reqs is not None:
                lat = [ms for _, ms in reqs]
                print("  client: over 1 / 2 / 4 ms: " + " / ".join(str(sum(1 for x in lat if x > t)) for t in (1, 2, 4)))
            for label in HISTOGRAMS:
                counts = [h1[label].get(le, 0) - h0[label].get(le, 0) for le in (0.001, 0.002, 0.005)]
                print(f"  server, {label}: over 1 / 2 / 5 ms: " + " / ".join(f"{c:.0f}" for c in counts))
            rows = []
            for tid, (tname, cpu, vol, invol) in t1.items():
                _, cpu0, vol0, invol0 = t0.get(tid, (tname, 0, 0, 0))
                if cpu > cpu0 or invol - invol0 > 5:
                    rows.append(((cpu - cpu0) * tick_ms, tname, vol - vol0, invol - invol0))
            for cpu_ms, tname, vol, invol in sorted(rows, reverse=True)[:8]:
                print(f"  thread {tname:16s} CPU {cpu_ms:6.0f} ms   voluntary {vol:6d}   involuntary {invol:6d}")


if __name__ == "__main__":
    main()
