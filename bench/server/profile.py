#!/usr/bin/env python3
"""Where the server's CPU goes under load: Java Flight Recorder's execution samples.

    python3 bench/server/profile.py [heavy_1|heavy_1.bin|digits_1] [concurrency] [seconds]

Starts the server (heavy_mlp or digits_mlp, baseline batching, 1 intra-op thread) with
JFR, warms it up, records `seconds` of wrk load, and prints the hottest frames (self)
and the hottest "our code or library entry" frames (inclusive, top 25 each). Native
time inside ONNX Runtime shows up as the thread sitting in OrtSession.run (JFR samples
Java frames; a thread in native code is counted in jdk.NativeMethodSample instead).
"""
import collections
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bench  # noqa: E402


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "heavy_1"
    conc = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    secs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    bench.prepare()
    model = bench.DIGITS if name.startswith("digits") else bench.HEAVY
    jfr = os.path.join(bench.OUT, f"profile-{name}.jfr")
    port = 31490
    with bench.Server(model, port, intra=1) as s:
        bench.warm(s, bench.body(name), conc, 30000, 60)
        subprocess.run(["jcmd", str(s.pid), "JFR.start", "name=bench", "settings=profile", f"filename={jfr}"],
                       capture_output=True, check=True)
        m = bench.measure(s, bench.body(name), 8 if name == "heavy_8" else 1, conc, secs)
        subprocess.run(["jcmd", str(s.pid), "JFR.stop", "name=bench"], capture_output=True, check=True)
    print(f"load during recording: {m}")
    for event in ("jdk.ExecutionSample", "jdk.NativeMethodSample"):
        out = subprocess.run(["jfr", "print", "--events", event, "--stack-depth", "64", jfr],
                             capture_output=True, text=True).stdout
        self_count = collections.Counter()
        incl = collections.Counter()
        threads = collections.Counter()
        total = 0
        for block in out.split(event + " {")[1:]:
            frames = [ln.strip() for ln in block.splitlines() if "line:" in ln]
            th = [ln for ln in block.splitlines() if "sampledThread" in ln]
            if not frames:
                continue
            total += 1
            if th:
                threads[th[0].split("=", 1)[1].strip().split('"')[1] if '"' in th[0] else th[0]] += 1
            self_count[frames[0].split("line:")[0].strip()] += 1
            seen = set()
            for f in frames:
                meth = f.split("line:")[0].strip()
                if meth not in seen:
                    seen.add(meth)
                    incl[meth] += 1
        print(f"\n== {event}: {total} samples ==")
        print("-- by thread --")
        for k, v in threads.most_common(10):
            print(f"{100 * v / max(1, total):5.1f}%  {k}")
        print("-- self --")
        for k, v in self_count.most_common(25):
            print(f"{100 * v / max(1, total):5.1f}%  {k}")
        print("-- inclusive (dev.modelship / jackson / vertx / netty / resteasy) --")
        shown = 0
        for k, v in incl.most_common():
            if any(p in k for p in ("dev.modelship", "jackson", "resteasy", "vertx", "netty")):
                print(f"{100 * v / max(1, total):5.1f}%  {k}")
                shown += 1
                if shown >= 25:
                    break


if __name__ == "__main__":
    main()
