#!/usr/bin/env python3
"""Modelship inference-server benchmarks (stdlib only; drives real processes).

    python3 bench/bench.py limit       # in-process ONNX Runtime, batch 1..64 ("the limit")
    python3 bench/bench.py ratio       # server vs in-process, heavy_mlp, dynamic batching
    python3 bench/bench.py small       # one row to digits_mlp at concurrency 1: p50/p99
    python3 bench/bench.py sweep       # batching settings: delay, max batch, workers
    python3 bench/bench.py peers       # MLServer side by side with ours, one run
    python3 bench/bench.py peers-all   # ours, PyTriton, KServe, MLServer alternating, one run
    python3 bench/bench.py paced       # digits_mlp, 1 connection at 200 req/s (hey): ours and MLServer
    python3 bench/bench.py paced-all   # the same rate to ours, PyTriton, KServe, MLServer (heavy_mlp at half)
    python3 bench/bench.py gc          # digits_mlp at c=1 under G1 / Serial / Parallel GC (the p99)
    python3 bench/bench.py c1tail      # one connection: wrk's corrected p99 vs per-request p99, ours and KServe
    python3 bench/bench.py coldstart   # process start -> /v2/health/ready 200, JVM flags
    python3 bench/bench.py all

Every measurement is repeated (--reps, default 3) and the median reported; each result
line carries the load average and CPU pressure (/proc/pressure/cpu, some avg10) seen
while it ran, because the machine these were recorded on is shared. Results are
appended as JSON lines to bench/out/results.jsonl and printed as Markdown tables.
Everything listens on 127.0.0.1 only; every process started here is stopped by PID.

Every measured process (our server, the peer, the in-process loop, wrk) is started in
its own session (setsid), as a service would be: with kernel.sched_autogroup_enabled=1
each session gets an equal share of the CPUs, so without this the server and its load
generator would split one share while every other session on the machine gets a full one.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
OUT = os.environ.get("BENCH_OUT", os.path.join(BENCH, "out"))
SERVER_APP = os.environ.get("SERVER_APP", "/tmp/bench-server-app")
ORT_JAR = os.environ.get("ORT_JAR", os.path.expanduser(
    "~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.28.0/onnxruntime-1.28.0.jar"))
HEAVY = os.path.join(REPO, "examples/models/generated/heavy_mlp.onnx")
DIGITS = os.path.join(REPO, "examples/models/digits_mlp.onnx")
PEER_VENV = os.path.join(BENCH, ".venv-peers")
PYTRITON_VENV = os.path.join(BENCH, ".venv-pytriton")
KSERVE_VENV = os.path.join(BENCH, ".venv-kserve")
WRK = os.environ.get("WRK", "wrk")
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The server's settings unless a benchmark says otherwise (the baseline).
BASE_BATCHING = {"max-batch-size": "32", "max-queue-delay": "0ms", "workers": "1"}


# ---------------------------------------------------------------- machine & helpers

def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = int(sh("awk '/MemTotal/{print $2}' /proc/meminfo") or 0) / 1024 / 1024
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem, 1),
        "java": sh("java -version 2>&1 | head -1"),
        "kernel": platform.release(),
    }


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def pressure():
    try:
        with open("/proc/pressure/cpu") as f:
            m = re.search(r"some avg10=([0-9.]+)", f.read())
            return float(m.group(1))
    except OSError:
        return None


def read_stat(path):
    """(name, CPU ticks: utime + stime) from a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat file."""
    with open(path) as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return stat[stat.index("(") + 1:stat.rindex(")")], int(fields[11]) + int(fields[12])


def proc_cpu(pid):
    """CPU seconds (user+system) of a process and its threads so far."""
    try:
        return read_stat(f"/proc/{pid}/stat")[1] / CLK_TCK
    except OSError:
        return 0.0


def tree_cpu(pid):
    """CPU seconds of a process and its descendants that are alive (MLServer forks workers)."""
    total = proc_cpu(pid)
    try:
        children = sh(f"pgrep -P {pid}").split()
    except Exception:
        children = []
    for c in children:
        total += tree_cpu(int(c))
    return total


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def record(kind, row):
    os.makedirs(OUT, exist_ok=True)
    row = dict(row, kind=kind)
    with open(os.path.join(OUT, "results.jsonl"), "a") as f:
        f.write(json.dumps(row) + "\n")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def md_table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        out.append("| " + " | ".join("" if v is None else str(v) for v in r) + " |")
    return "\n".join(out)


def fmt(v, digits=2):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


# ---------------------------------------------------------------- preparation

def prepare():
    os.makedirs(OUT, exist_ok=True)
    built = os.path.join(REPO, "inference-server/target/quarkus-app/quarkus-run.jar")
    if not os.path.exists(os.path.join(SERVER_APP, "quarkus-run.jar")) or os.environ.get("BENCH_FRESH_APP") == "1":
        if not os.path.exists(built):
            subprocess.run(["./mvnw", "-B", "-q", "-pl", "inference-server", "-DskipTests", "package"],
                           cwd=REPO, check=True)
        shutil.rmtree(SERVER_APP, ignore_errors=True)
        shutil.copytree(os.path.dirname(built), SERVER_APP)
    if not os.path.exists(HEAVY):
        subprocess.run([os.path.join(REPO, ".venv/bin/python"), "examples/models/make_models.py", "heavy"],
                       cwd=REPO, check=True)
    subprocess.run([sys.executable, os.path.join(BENCH, "server/make_bodies.py"), os.path.join(OUT, "bodies")],
                   check=True)
    classes = os.path.join(OUT, "classes")
    src = os.path.join(BENCH, "inprocess/InProcess.java")
    cls = os.path.join(classes, "InProcess.class")
    if not os.path.exists(cls) or os.path.getmtime(src) > os.path.getmtime(cls):
        os.makedirs(classes, exist_ok=True)
        subprocess.run(["javac", "-d", classes, "-cp", ORT_JAR, src], check=True)


def body(name):
    """heavy_1 -> bodies/heavy_1.json; heavy_1.bin -> the binary-extension body."""
    return os.path.join(OUT, "bodies", name if name.endswith(".bin") else name + ".json")


# ---------------------------------------------------------------- processes

def http_status(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception:
        return None


def wait_ready(url, proc, secs=90, poll=0.01):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        if http_status(url, timeout=0.5) == 200:
            return True
        time.sleep(poll)
    return False


class Proc:
    """A process in its own session, stopped by PID (SIGTERM, then SIGKILL)."""

    def __init__(self, cmd, logname, cwd=None, env=None):
        self.logpath = os.path.join(OUT, logname)
        self.logf = open(self.logpath, "w")
        self.p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=self.logf, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        self.pid = self.p.pid

    def stop(self):
        if self.p.poll() is None:
            try:
                # the whole session's process group: MLServer forks inference workers
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.p.wait()
        self.logf.close()

    def tail(self, n=20):
        with open(self.logpath) as f:
            return "".join(f.readlines()[-n:])


def server_cmd(model, port, batching=None, intra=1, jvm_flags=()):
    b = dict(BASE_BATCHING, **(batching or {}))
    cmd = ["java", *jvm_flags,
           f"-Dmodelship.model.path={model}",
           f"-Dquarkus.http.host={HOST}", f"-Dquarkus.grpc.server.host={HOST}",
           f"-Dquarkus.http.port={port}", f"-Dquarkus.grpc.server.port={port + 1}"]
    cmd += [f"-Dmodelship.batching.{k}={v}" for k, v in b.items()]
    if intra is not None:
        cmd.append(f"-Dmodelship.runtime.intra-op-threads={intra}")
    cmd += ["-jar", "quarkus-run.jar"]
    return cmd


class Server:
    label = "Modelship"

    def __init__(self, model, port, batching=None, intra=1, jvm_flags=()):
        self.model = model
        self.port = port
        self.name = os.path.splitext(os.path.basename(model))[0]
        self.cmd = server_cmd(model, port, batching, intra, jvm_flags)
        self.url = f"http://{HOST}:{port}/v2/models/{self.name}/infer"

    def __enter__(self):
        self.proc = Proc(self.cmd, f"server-{self.port}.log", cwd=SERVER_APP)
        self.pid = self.proc.pid
        if not wait_ready(f"http://{HOST}:{self.port}/v2/health/ready", self.proc.p):
            log(self.proc.tail())
            self.proc.stop()
            raise RuntimeError("our server did not get ready")
        return self

    def __exit__(self, *a):
        self.proc.stop()

    def batch_stats(self):
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port}/metrics", timeout=5) as r:
                text = r.read().decode()
        except Exception:
            return None
        c = s = None
        compute = 0.0  # seconds the batch worker spent computing (stacking, feeding, session.run), all series
        for line in text.splitlines():
            if line.startswith("modelship_inference_batch_size_count{"):
                c = float(line.split()[-1])
            elif line.startswith("modelship_inference_batch_size_sum{"):
                s = float(line.split()[-1])
            elif line.startswith("modelship_inference_compute_duration_seconds_sum{"):
                compute += float(line.split()[-1])
        return (c, s, compute) if c is not None else None


class Peer:
    """MLServer 1.7.1 with bench/peers/onnx_runtime.py serving the same ONNX file."""
    label = "MLServer"

    def __init__(self, model, port, batching=True, intra=1):
        self.model = model
        self.port = port
        self.name = os.path.splitext(os.path.basename(model))[0]
        self.url = f"http://{HOST}:{port}/v2/models/{self.name}/infer"
        self.batching = batching
        self.intra = intra

    def __enter__(self):
        d = os.path.join(OUT, f"peer-{self.port}")
        shutil.rmtree(d, ignore_errors=True)
        subprocess.run([os.path.join(PEER_VENV, "bin/python"), os.path.join(BENCH, "peers/make_repo.py"),
                        d, self.model, str(self.port), "1" if self.batching else "0", str(self.intra)], check=True)
        env = dict(os.environ, PYTHONPATH=os.path.join(BENCH, "peers"))
        self.proc = Proc([os.path.join(PEER_VENV, "bin/mlserver"), "start", d], f"peer-{self.port}.log",
                         cwd=d, env=env)
        self.pid = self.proc.pid
        if not wait_ready(f"http://{HOST}:{self.port}/v2/models/{self.name}/ready", self.proc.p, secs=120):
            log(self.proc.tail(40))
            self.proc.stop()
            raise RuntimeError("MLServer did not get ready")
        return self

    def __exit__(self, *a):
        self.proc.stop()

    def batch_stats(self):
        return None


class ScriptPeer:
    """A peer started as `VENV/bin/python bench/peers/SCRIPT MODEL PORT NAME ...`, ready when
    GET /v2/models/NAME/ready answers 200."""
    label = venv = script = None

    def __init__(self, model, port, intra=1):
        self.model = model
        self.port = port
        self.intra = intra
        self.name = os.path.splitext(os.path.basename(model))[0]
        self.url = f"http://{HOST}:{port}/v2/models/{self.name}/infer"

    def args(self):
        return [str(self.intra)]

    def __enter__(self):
        cmd = [os.path.join(self.venv, "bin/python"), os.path.join(BENCH, "peers", self.script), self.model,
               str(self.port), self.name, *self.args()]
        self.proc = Proc(cmd, f"{self.script[:-3]}-{self.port}.log", cwd=OUT)
        self.pid = self.proc.pid
        if not wait_ready(f"http://{HOST}:{self.port}/v2/models/{self.name}/ready", self.proc.p, secs=120):
            log(self.proc.tail(40))
            self.proc.stop()
            raise RuntimeError(f"{self.label} did not get ready")
        return self

    def __exit__(self, *a):
        self.proc.stop()

    def batch_stats(self):
        return None


class PyTritonPeer(ScriptPeer):
    """Triton 2.51.0 from nvidia-pytriton 0.7.0: onnxruntime in a Python callable behind Triton's
    HTTP front end and dynamic batcher (max_batch_size 32, max_queue_delay 0 µs)."""
    label, venv, script = "PyTriton", PYTRITON_VENV, "pytriton_server.py"

    def args(self):
        return [str(self.intra), "0"]

    def batch_stats(self):
        """(batches, rows) so far, from Triton's metrics (nv_inference_exec_count, nv_inference_count)."""
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port + 2}/metrics", timeout=5) as r:
                text = r.read().decode()
        except Exception:
            return None
        c = s = None
        for line in text.splitlines():
            if line.startswith("nv_inference_exec_count{"):
                c = float(line.split()[-1])
            elif line.startswith("nv_inference_count{"):
                s = float(line.split()[-1])
        return (c, s) if c is not None and s is not None else None


class KServePeer(ScriptPeer):
    """KServe 0.21.0's Python model server (kserve.ModelServer), one uvicorn worker, no batching."""
    label, venv, script = "KServe", KSERVE_VENV, "kserve_server.py"


def infer_once(url, body_file):
    """POST a body once; {output name: flat list of values}."""
    with open(body_file, "rb") as f:
        data = f.read()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        answer = json.loads(r.read())

    def flat(v):
        return [y for x in v for y in flat(x)] if isinstance(v, list) else [v]
    return {o["name"]: flat(o["data"]) for o in answer["outputs"]}


def same_answer(ref, got, tol=1e-5):
    """Every output of ref in got, integers equal, floats within tol (relative to max(1, |x|))."""
    for name, want in ref.items():
        have = got.get(name)
        if have is None or len(have) != len(want):
            return False
        for w, h in zip(want, have):
            if isinstance(w, int) and isinstance(h, int):
                if w != h:
                    return False
            elif abs(float(w) - float(h)) > tol * max(1.0, abs(float(w))):
                return False
    return True


def wrk(url, body_file, conc, secs):
    cmd = [WRK, "-t1", f"-c{conc}", f"-d{secs}s", "--timeout", "10s", "-s", os.path.join(BENCH, "server/post.lua"),
           url, "--", body_file]
    if body_file.endswith(".bin"):
        with open(body_file + ".hlen") as f:
            cmd.append(f.read().strip())
    return wrk_result(subprocess.run(cmd, capture_output=True, text=True, start_new_session=True))


def wrk_result(p):
    """The RESULT line our wrk scripts print, as {name: value}."""
    m = re.search(r"^RESULT (.*)$", p.stdout, re.M)
    if not m:
        raise RuntimeError("wrk failed: " + p.stdout + p.stderr)
    r = {}
    for kv in m.group(1).split():
        k, v = kv.split("=")
        r[k] = float(v)
    return r


def wrk_traced(target, body_file, secs):
    """One connection for `secs`: wrk's summary (its percentiles corrected for coordinated omission)
    and every request as (sent, latency) in ms, in the order sent, logged by server/trace.lua
    (sent on CLOCK_MONOTONIC, the clock of gc_pause_spans)."""
    path = os.path.join(OUT, "trace-latencies.txt")
    cmd = [WRK, "-t1", "-c1", f"-d{secs}s", "--timeout", "10s", "-s", os.path.join(BENCH, "server/trace.lua"),
           target.url, "--", body_file, path]
    r = wrk_result(subprocess.run(cmd, capture_output=True, text=True, start_new_session=True))
    with open(path) as f:
        return r, [tuple(float(x) / 1000 for x in line.split()) for line in f]


def thread_stats(pid):
    """{tid: (name, CPU ticks, voluntary switches, involuntary switches)} of process pid's threads, from
    /proc (CPU = utime + stime, in SC_CLK_TCK ticks); threads that end meanwhile are left out."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            name, ticks = read_stat(f"/proc/{pid}/task/{tid}/stat")
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except FileNotFoundError:
            continue
        out[tid] = (name, ticks, int(status["voluntary_ctxt_switches"]), int(status["nonvoluntary_ctxt_switches"]))
    return out


def jit_cpu(pid):
    """CPU seconds the JVM's JIT compiler threads of process pid used so far (0 for a process without)."""
    ticks = sum(cpu for name, cpu, _, _ in thread_stats(pid).values() if "CompilerThre" in name)
    return ticks / CLK_TCK


# Warm-up goes on while the JIT compilers use more than this share of a core: 30,000 one-row requests to
# digits_mlp take 5 s at c = 1, and C2 then still compiles for ~10 s more (2.3 s of CPU in the next 5 s),
# taking a core from the server in bursts that land on the measured requests' tail.
JIT_QUIET_SHARE = 0.02


def warm(target, body_file, conc, min_requests, max_secs):
    """Load until the JIT had min_requests to work on and its compilers have gone quiet (or max_secs
    passed): on a starved machine a fixed time is not enough to reach steady state."""
    t0 = time.monotonic()
    done = 0
    jit_share = 1.0
    while (done < min_requests or jit_share > JIT_QUIET_SHARE) and time.monotonic() - t0 < max_secs:
        j0, c0 = jit_cpu(target.pid), time.monotonic()
        done += wrk(target.url, body_file, conc, 5)["requests"]
        target.batch_stats()  # measure() reads /metrics around each run: its code is compiled now, too
        jit_share = (jit_cpu(target.pid) - j0) / (time.monotonic() - c0)
    log(f"  warm-up: {done:.0f} requests in {time.monotonic() - t0:.0f} s (JIT compilers at {100 * jit_share:.0f} % "
        f"of a core in the last 5 s)")


def measure(target, body_file, rows, conc, secs):
    """One wrk run against a started Server/Peer, with its CPU use and the machine's load."""
    cpu0 = tree_cpu(target.pid)
    b0 = target.batch_stats()
    load0 = load1()
    r = wrk(target.url, body_file, conc, secs)
    cpu1 = tree_cpu(target.pid)
    b1 = target.batch_stats()
    out = {
        "rps": r["rps"], "rows_per_s": r["rps"] * rows, "p50_ms": r["p50_ms"], "p90_ms": r["p90_ms"],
        "p99_ms": r["p99_ms"], "errors": r["errors"], "requests": r["requests"],
        "server_cpu_s": round(cpu1 - cpu0, 2),
        "cpu_ms_per_row": round(1000 * (cpu1 - cpu0) / max(1, r["requests"] * rows), 4),
        "load1": max(load0, load1()), "cpu_pressure": pressure(),
    }
    if b0 and b1 and b1[0] > b0[0]:
        out["avg_batch"] = round((b1[1] - b0[1]) / (b1[0] - b0[0]), 1)
        if len(b1) > 2 and r["rps"] > 0:  # ours: the share of the run the batch worker spent computing
            out["ort_busy"] = round((b1[2] - b0[2]) / (r["requests"] / r["rps"]), 3)
    return out


def inprocess(model, intra, batches, secs, warmup=1.0, threads=1):
    cp = os.path.join(OUT, "classes") + ":" + ORT_JAR
    cmd = ["java", "-cp", cp, "InProcess", "--model", model, "--intra", str(intra), "--threads", str(threads),
           "--batches", ",".join(map(str, batches)), "--seconds", str(secs), "--warmup", str(warmup)]
    load0 = load1()
    t0 = time.time()
    p = subprocess.run(["/usr/bin/time", "-f", "CPU %U %S", *cmd], capture_output=True, text=True,
                       start_new_session=True)
    if p.returncode != 0:
        raise RuntimeError(p.stdout + p.stderr)
    rows = []
    for line in p.stdout.splitlines()[1:]:
        f = line.split(",")
        rows.append({"model": f[0], "intra": int(f[1]), "threads": int(f[2]), "batch": int(f[3]),
                     "calls": int(f[4]), "seconds": float(f[5]), "rows_per_s": float(f[6]),
                     "p50_ms": float(f[7]), "p99_ms": float(f[8]), "load1": max(load0, load1()),
                     "cpu_pressure": pressure()})
    m = re.search(r"CPU ([0-9.]+) ([0-9.]+)", p.stderr)
    if m and len(rows) == 1:
        # CPU per row of the whole JVM run (warm-up + measurement), an upper bound
        total_rows = rows[0]["rows_per_s"] * (secs + warmup)
        rows[0]["cpu_ms_per_row_upper"] = round(1000 * (float(m.group(1)) + float(m.group(2))) / total_rows, 4)
    return rows


# ---------------------------------------------------------------- benchmarks

def bench_limit(a):
    """In-process ONNX Runtime throughput, batch 1..64, per model and intra-op threads."""
    batches = [1, 2, 4, 8, 16, 32, 64]
    text = []
    for model, intras in ((HEAVY, a.limit_intra), (DIGITS, [1])):
        for intra in intras:
            runs = []
            for rep in range(a.reps):
                log(f"limit {os.path.basename(model)} intra={intra} rep {rep + 1}/{a.reps}")
                runs.append(inprocess(model, intra, batches, a.limit_secs, warmup=1.0))
            table = []
            for i, b in enumerate(batches):
                rs = [r[i] for r in runs]
                row = {"model": rs[0]["model"], "intra": intra, "batch": b,
                       "rows_per_s": med([r["rows_per_s"] for r in rs]),
                       "p50_ms": med([r["p50_ms"] for r in rs]), "p99_ms": med([r["p99_ms"] for r in rs]),
                       "all_rows_per_s": [round(r["rows_per_s"]) for r in rs],
                       "load1": [r["load1"] for r in rs], "cpu_pressure": [r["cpu_pressure"] for r in rs]}
                record("limit", row)
                table.append([b, round(row["rows_per_s"]), fmt(row["p50_ms"], 3), fmt(row["p99_ms"], 3),
                              " / ".join(map(str, row["all_rows_per_s"])), " / ".join(map(str, row["load1"]))])
            text.append(f"**{rs[0]['model']}, intra-op threads {intra}, 1 caller thread** "
                        f"({a.reps} runs × {a.limit_secs} s per batch size)\n\n" +
                        md_table(["batch", "rows/s (median)", "call p50 ms", "call p99 ms", "rows/s per run",
                                  "load avg per run"], table))
    return "\n\n".join(text)


def bench_ratio(a):
    """Server vs in-process on heavy_mlp with dynamic batching, at the same rows in flight."""
    cases = [("heavy_1", 1, 32), ("heavy_1.bin", 1, 32), ("heavy_1", 1, 64), ("heavy_8", 8, 4)]
    text = []
    with Server(HEAVY, a.port, intra=a.intra) as s:
        log("ratio: warming the server up")
        warm(s, body("heavy_1"), 32, a.warm_requests, a.warmup)
        warm(s, body("heavy_1.bin"), 32, a.warm_requests // 4, a.warmup // 4)
        for name, rows, conc in cases:
            inflight = rows * conc
            limit_batch = min(inflight, int(BASE_BATCHING["max-batch-size"]))
            runs = []
            for rep in range(a.reps):
                log(f"ratio {name} c={conc} rep {rep + 1}/{a.reps}")
                lim = inprocess(HEAVY, a.intra, [limit_batch], a.secs, warmup=1.0)[0]
                m = measure(s, body(name), rows, conc, a.secs)
                # The same loop at the batch size the server did form: a closed loop of C clients keeps
                # some requests on their way back and forth while the worker computes, so it forms
                # smaller batches than C x rows, and ONNX Runtime's cost per row depends on the batch.
                formed = max(1, round(m.get("avg_batch") or limit_batch))
                at_formed = inprocess(HEAVY, a.intra, [formed], a.secs, warmup=1.0)[0]
                m.update(limit_rows_per_s=lim["rows_per_s"], limit_cpu_ms_per_row=lim.get("cpu_ms_per_row_upper"),
                         ratio=m["rows_per_s"] / lim["rows_per_s"], formed_batch=formed,
                         formed_rows_per_s=at_formed["rows_per_s"],
                         ratio_formed=m["rows_per_s"] / at_formed["rows_per_s"])
                runs.append(m)
            row = {"body": name, "rows_per_request": rows, "concurrency": conc, "limit_batch": limit_batch,
                   "intra": a.intra, **{k: med([r.get(k) for r in runs]) for k in runs[0]},
                   "ratios": [round(r["ratio"], 3) for r in runs], "load1s": [r["load1"] for r in runs],
                   "pressures": [r["cpu_pressure"] for r in runs]}
            record("ratio", row)
            text.append([f"{conc} × {rows} row(s) ({name})", round(row["rows_per_s"]), fmt(row["p50_ms"]),
                         fmt(row["p99_ms"]), row.get("avg_batch"), f"batch {limit_batch}: {round(row['limit_rows_per_s'])}",
                         fmt(row["ratio"]), " / ".join(map(str, row["ratios"])),
                         f"batch {round(row['formed_batch'])}: {round(row['formed_rows_per_s'])}",
                         fmt(row["ratio_formed"]), fmt(row.get("ort_busy"), 2),
                         fmt(row["cpu_ms_per_row"], 3), fmt(row["limit_cpu_ms_per_row"], 3),
                         " / ".join(map(str, row["load1s"]))])
    return md_table(["load (concurrency × rows)", "server rows/s", "p50 ms", "p99 ms", "avg batch",
                     "in-process rows/s", "ratio (median)", "ratio per run", "in-process at the batch formed",
                     "ratio at the batch formed", "worker computing (share of the run)", "server CPU ms/row",
                     "in-process CPU ms/row (upper)", "load avg per run"], text)


def bench_small(a):
    """One row to digits_mlp at concurrency 1, as the client sees it."""
    rows = []
    for intra in a.small_intra:
        with Server(DIGITS, a.port, intra=intra) as s:
            warm(s, body("digits_1"), 1, a.warm_requests, a.warmup)
            runs = []
            for rep in range(a.reps):
                log(f"small intra={intra} rep {rep + 1}/{a.reps}")
                runs.append(measure(s, body("digits_1"), 1, 1, a.secs))
            row = {"intra": intra, **{k: med([r.get(k) for r in runs]) for k in runs[0]},
                   "p50s": [r["p50_ms"] for r in runs], "p99s": [r["p99_ms"] for r in runs],
                   "load1s": [r["load1"] for r in runs], "pressures": [r["cpu_pressure"] for r in runs]}
            record("small", row)
            rows.append([intra if intra is not None else "default (nproc)", round(row["rps"]), fmt(row["p50_ms"], 3),
                         fmt(row["p99_ms"], 3), " / ".join(fmt(x, 3) for x in row["p50s"]),
                         " / ".join(fmt(x, 3) for x in row["p99s"]), " / ".join(map(str, row["load1s"])),
                         " / ".join(map(str, row["pressures"]))])
    return md_table(["intra-op threads", "req/s", "p50 ms (median)", "p99 ms (median)", "p50 per run",
                     "p99 per run", "load avg per run", "CPU pressure % per run"], rows)


SWEEP = [
    ({"max-queue-delay": "0ms"}, "baseline: 32 rows, 0 ms, 1 worker"),
    ({"max-queue-delay": "1ms"}, "delay 1 ms"),
    ({"max-queue-delay": "2ms"}, "delay 2 ms"),
    ({"max-batch-size": "8"}, "max batch 8"),
    ({"max-batch-size": "64"}, "max batch 64"),
    ({"workers": "2"}, "2 workers"),
    ({"workers": "2", "max-batch-size": "64"}, "2 workers, max batch 64"),
]


def bench_sweep(a):
    """Batching settings, one changed at a time from the baseline, heavy_mlp at c=32 and c=1.

    All servers run at once (idle ones cost nothing) and are measured round-robin, so a
    change in the machine's load hits every setting alike instead of favouring the last."""
    import contextlib
    with contextlib.ExitStack() as stack:
        servers = []
        for i, (change, label) in enumerate(SWEEP):
            s = stack.enter_context(Server(HEAVY, a.port + 20 + 2 * i, batching=change, intra=a.intra))
            log(f"sweep {label}: warm-up")
            warm(s, body("heavy_1"), 32, a.warm_requests, a.warmup)
            servers.append((change, label, s, [], []))
        for rep in range(a.reps):
            for change, label, s, hi, lo in servers:
                log(f"sweep {label} rep {rep + 1}/{a.reps}")
                hi.append(measure(s, body("heavy_1"), 1, 32, a.secs))
                lo.append(measure(s, body("heavy_1"), 1, 1, max(3, a.secs // 2)))
    rows = []
    for change, label, s, hi, lo in servers:
        row = {"settings": dict(BASE_BATCHING, **change), "label": label, "intra": a.intra,
               "c32": {k: med([r.get(k) for r in hi]) for k in hi[0]},
               "c1": {k: med([r.get(k) for r in lo]) for k in lo[0]},
               "c32_rows": [round(r["rows_per_s"]) for r in hi], "load1s": [r["load1"] for r in hi]}
        record("sweep", row)
        rows.append([label, round(row["c32"]["rows_per_s"]), " / ".join(map(str, row["c32_rows"])),
                     fmt(row["c32"]["p50_ms"]), fmt(row["c32"]["p99_ms"]), row["c32"].get("avg_batch"),
                     fmt(row["c32"]["cpu_ms_per_row"], 3), fmt(row["c1"]["p50_ms"], 3), fmt(row["c1"]["p99_ms"], 3),
                     " / ".join(map(str, row["load1s"]))])
    return md_table(["settings (else baseline)", "c=32 rows/s (median)", "rows/s per run", "c=32 p50 ms",
                     "c=32 p99 ms", "avg batch", "c=32 server CPU ms/row", "c=1 p50 ms", "c=1 p99 ms",
                     "load avg per run"], rows)


def bench_peers(a):
    """Ours and MLServer, both started, loaded in turn with the same wrk settings."""
    cases = [(HEAVY, "heavy_1", 1, 32), (DIGITS, "digits_1", 1, 32), (DIGITS, "digits_1", 1, 1)]
    if a.peer_cases:
        cases = [c for c in cases if f"{c[1]}@{c[3]}" in a.peer_cases]
    text = []
    for model, name, rows, conc in cases:
        peer_batching = bool(a.peer_batching) if a.peer_batching in (0, 1) else conc > 1
        with Server(model, a.port, intra=a.intra) as ours, Peer(model, a.port + 10, batching=peer_batching,
                                                                  intra=a.intra) as peer:
            log(f"peers {name} c={conc}: warm-up")
            warm(ours, body(name), conc, a.warm_requests, a.warmup)
            warm(peer, body(name), conc, a.warm_requests // 4, a.warmup // 2)
            o_runs, p_runs = [], []
            for rep in range(a.reps):
                log(f"peers {name} c={conc} rep {rep + 1}/{a.reps}")
                o_runs.append(measure(ours, body(name), rows, conc, a.secs))
                p_runs.append(measure(peer, body(name), rows, conc, a.secs))
            o = {k: med([r.get(k) for r in o_runs]) for k in o_runs[0]}
            p = {k: med([r.get(k) for r in p_runs]) for k in p_runs[0]}
            row = {"model": os.path.basename(model), "body": name, "concurrency": conc, "intra": a.intra,
                   "peer_batching": peer_batching, "ours": o, "mlserver": p,
                   "throughput_x": o["rows_per_s"] / p["rows_per_s"], "p99_fraction": o["p99_ms"] / p["p99_ms"],
                   "ours_runs": [round(r["rows_per_s"]) for r in o_runs],
                   "mlserver_runs": [round(r["rows_per_s"]) for r in p_runs],
                   "ours_p99s": [r["p99_ms"] for r in o_runs], "mlserver_p99s": [r["p99_ms"] for r in p_runs],
                   "load1s": [r["load1"] for r in o_runs + p_runs]}
            record("peers", row)
            text.append([f"{os.path.basename(model)}, c={conc}" + (", MLServer adaptive batching" if peer_batching else ""), round(o["rows_per_s"]), round(p["rows_per_s"]),
                         fmt(row["throughput_x"], 1) + "×", fmt(o["p50_ms"]), fmt(p["p50_ms"]), fmt(o["p99_ms"]),
                         fmt(p["p99_ms"]), fmt(row["p99_fraction"], 3), fmt(o["cpu_ms_per_row"], 3),
                         fmt(p["cpu_ms_per_row"], 3), " / ".join(map(str, row["ours_runs"])),
                         " / ".join(map(str, row["mlserver_runs"])), o["errors"], p["errors"]])
    return md_table(["model, concurrency (1 row/request)", "ours rows/s", "MLServer rows/s", "ours ÷ MLServer",
                     "ours p50 ms", "MLServer p50 ms", "ours p99 ms", "MLServer p99 ms", "p99 ours/MLServer",
                     "ours CPU ms/row", "MLServer CPU ms/row", "ours per run", "MLServer per run",
                     "ours errors", "MLServer errors"], text)


PEERS_ALL_CASES = [(DIGITS, "digits_1", 1), (DIGITS, "digits_1", 32), (HEAVY, "heavy_1", 1), (HEAVY, "heavy_1", 32)]


def start_all_four(stack, a, model, body_file, name, mlserver_batching):
    """Modelship, PyTriton, KServe and MLServer on `model`, entered into `stack` (stopped with it); every
    peer's answer to `body_file` checked against Modelship's. Returns (ours, [peers], Modelship's answer)."""
    ours = stack.enter_context(Server(model, a.port, intra=a.intra))
    peers = [stack.enter_context(PyTritonPeer(model, a.port + 20, intra=a.intra)),
             stack.enter_context(KServePeer(model, a.port + 30, intra=a.intra)),
             stack.enter_context(Peer(model, a.port + 10, batching=mlserver_batching, intra=a.intra))]
    ref = infer_once(ours.url, body_file)
    for t in peers:
        got = infer_once(t.url, body_file)
        if not same_answer(ref, got):
            raise RuntimeError(f"{t.label} answers {got} to {name}, Modelship {ref}")
    return ours, peers, ref


def bench_peers_all(a):
    """Modelship, PyTriton, KServe and MLServer on the same ONNX file, same wrk load, one run.

    Per case (model, concurrency; 1 row per JSON V2 request) all four servers are started
    (MLServer with adaptive batching only when concurrency > 1, as in `peers`), every answer
    is checked against Modelship's, each server is warmed up, then each rep loads the four
    in turn (the order rotated every rep, so drift in the machine's load hits all alike)."""
    import contextlib
    cases = PEERS_ALL_CASES
    if a.peer_cases:
        cases = [c for c in cases if f"{c[1]}@{c[2]}" in a.peer_cases]
    text, ratio_rows, verdicts = [], [], []
    for model, name, conc in cases:
        m = os.path.basename(model)
        bf = body(name)
        with contextlib.ExitStack() as stack:
            ours, peers, ref = start_all_four(stack, a, model, bf, name, mlserver_batching=conc > 1)
            targets = [ours, *peers]
            log(f"peers-all {m} c={conc}: all four give Modelship's answer "
                f"({', '.join(f'{k}={v[:3]}' for k, v in ref.items())})")
            log(f"peers-all {m} c={conc}: warm-up")
            warm(ours, bf, conc, a.warm_requests, a.warmup)
            for t in peers:
                warm(t, bf, conc, a.warm_requests // 10, min(a.warmup, 10))
            runs = {t.label: [] for t in targets}
            for rep in range(a.reps):
                order = targets[rep % 4:] + targets[:rep % 4]
                for t in order:
                    log(f"peers-all {m} c={conc} rep {rep + 1}/{a.reps}: {t.label}")
                    runs[t.label].append(measure(t, bf, 1, conc, a.secs))
        meds = {}
        for t in targets:
            rs = runs[t.label]
            meds[t.label] = {k: med([r.get(k) for r in rs]) for k in rs[0]}
            row = {"model": m, "body": name, "concurrency": conc, "intra": a.intra, "server": t.label,
                   **meds[t.label], "rps_runs": [round(r["rps"]) for r in rs],
                   "p99_runs": [r["p99_ms"] for r in rs], "load1s": [r["load1"] for r in rs],
                   "pressures": [r["cpu_pressure"] for r in rs]}
            record("peers-all", row)
            md = meds[t.label]
            text.append([f"{m}, c={conc}", t.label, round(md["rps"]), fmt(md["p50_ms"], 3), fmt(md["p99_ms"], 3),
                         fmt(md["cpu_ms_per_row"], 3), md.get("avg_batch", "—"),
                         " / ".join(map(str, row["rps_runs"])), " / ".join(fmt(x, 2) for x in row["p99_runs"]),
                         " / ".join(map(str, row["load1s"])), int(sum(r["errors"] for r in rs))])
        o = meds["Modelship"]
        for t in peers:
            p = meds[t.label]
            rr = [o["rps"] / p["rps"], p["p50_ms"] / o["p50_ms"], p["p99_ms"] / o["p99_ms"],
                  p["cpu_ms_per_row"] / o["cpu_ms_per_row"] if o["cpu_ms_per_row"] else None]
            ahead = all(x is not None and x > 1 for x in rr)
            verdicts.append(ahead)
            ratio_rows.append([f"{m}, c={conc}", t.label, *(("—" if x is None else f"{x:.2f}×" if x < 10 else f"{x:.1f}×")
                                                             for x in rr),
                               "yes" if ahead else "**no**"])
    return (md_table(["model, concurrency", "server", "req/s (median)", "p50 ms", "p99 ms", "CPU ms/request",
                      "avg batch", "req/s per run", "p99 ms per run", "load avg per run", "errors"], text) +
            "\n\nRatios of the medians (> 1× = Modelship ahead): Modelship req/s ÷ peer's; peer's p50, p99 and "
            "CPU per request ÷ Modelship's.\n\n" +
            md_table(["model, concurrency", "peer", "throughput", "p50", "p99", "CPU/request",
                      "Modelship ahead on all four"], ratio_rows) +
            f"\n\nModelship ahead on every figure in {sum(verdicts)} of {len(verdicts)} rows.")


HEY = os.environ.get("HEY", os.path.expanduser("~/go/bin/hey"))


def hey_paced(url, body_file, rate, secs):
    """One connection sending `rate` requests/s (hey -c 1 -q rate), latency of every request."""
    cmd = [HEY, "-c", "1", "-q", str(rate), "-z", f"{secs}s", "-m", "POST", "-T", "application/json",
           "-D", body_file, "-o", "csv", url]
    load0 = load1()
    p = subprocess.run(cmd, capture_output=True, text=True, start_new_session=True)
    lat, errors = [], 0
    for line in p.stdout.splitlines()[1:]:
        f = line.split(",")
        if len(f) < 7:
            continue
        lat.append(float(f[0]) * 1000)
        if f[6] != "200":
            errors += 1
    lat.sort()
    if not lat:
        raise RuntimeError("hey failed: " + p.stderr)
    return {"requests": len(lat), "rps": len(lat) / secs, "p50_ms": lat[len(lat) // 2],
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))], "max_ms": lat[-1], "errors": errors,
            "load1": max(load0, load1()), "cpu_pressure": pressure()}


def bench_paced(a):
    """Small requests at low load: one connection at a fixed rate (hey -q), ours and MLServer in turn."""
    rows = []
    with Server(DIGITS, a.port, intra=a.intra) as ours, Peer(DIGITS, a.port + 10, batching=False,
                                                               intra=a.intra) as peer:
        warm(ours, body("digits_1"), 1, a.warm_requests, a.warmup)
        warm(peer, body("digits_1"), 1, a.warm_requests // 4, a.warmup // 2)
        o_runs, p_runs = [], []
        for rep in range(a.reps):
            log(f"paced rep {rep + 1}/{a.reps}")
            o_runs.append(hey_paced(ours.url, body("digits_1"), a.rate, a.paced_secs))
            p_runs.append(hey_paced(peer.url, body("digits_1"), a.rate, a.paced_secs))
    for who, runs in (("ours", o_runs), ("MLServer", p_runs)):
        row = {"who": who, "rate": a.rate, **{k: med([r[k] for r in runs]) for k in runs[0]},
               "p50s": [round(r["p50_ms"], 3) for r in runs], "p99s": [round(r["p99_ms"], 3) for r in runs],
               "load1s": [r["load1"] for r in runs], "pressures": [r["cpu_pressure"] for r in runs]}
        record("paced", row)
        rows.append([who, round(row["rps"]), fmt(row["p50_ms"], 3), fmt(row["p99_ms"], 3),
                     " / ".join(map(str, row["p50s"])), " / ".join(map(str, row["p99s"])), row["errors"],
                     " / ".join(map(str, row["load1s"])), " / ".join(map(str, row["pressures"]))])
    return md_table(["server", "req/s", "p50 ms", "p99 ms", "p50 per run", "p99 per run", "errors",
                     "load per run", "CPU pressure % per run"], rows)


PACED_ALL_CASES = [(DIGITS, "digits_1"), (HEAVY, "heavy_1")]


def bench_paced_all(a):
    """The tail at concurrency 1 without a closed loop: one connection at a fixed rate (hey -q), the
    same rate for Modelship, PyTriton, KServe and MLServer (no batching: one request in flight), in
    turn with the order rotated every rep; every answer checked against Modelship's first.

    wrk at c = 1 sends the next request as soon as the last returns, so a faster server is sent
    more requests and a machine stall lands on more of them; at a fixed rate every server gets the
    same requests at the same times, which is how a service at low traffic sees its tail.

    Each server first gets one uncounted rep of the paced load: a JVM's JIT is still compiling
    for 20-40 s after a closed-loop warm-up (about 2,500 methods when the load turns paced, measured
    with -Xlog:jit+compilation), and those compilations share the two cores with the requests."""
    import contextlib
    rows, ratio_rows = [], []
    for model, name in PACED_ALL_CASES:
        m = os.path.basename(model)
        bf = body(name)
        rate = a.rate if name == "digits_1" else max(1, a.rate // 2)
        with contextlib.ExitStack() as stack:
            ours, peers, _ = start_all_four(stack, a, model, bf, name, mlserver_batching=False)
            targets = [ours, *peers]
            warm(ours, bf, 1, a.warm_requests, a.warmup)
            for t in peers:
                warm(t, bf, 1, a.warm_requests // 10, min(a.warmup, 10))
            for t in targets:
                log(f"paced-all {m} {rate} req/s: {t.label} warming up under the paced load (not counted)")
                hey_paced(t.url, bf, rate, a.paced_secs)
            runs = {t.label: [] for t in targets}
            for rep in range(a.reps):
                for t in targets[rep % 4:] + targets[:rep % 4]:
                    log(f"paced-all {m} {rate} req/s rep {rep + 1}/{a.reps}: {t.label}")
                    runs[t.label].append(hey_paced(t.url, bf, rate, a.paced_secs))
        meds = {}
        for t in targets:
            rs = runs[t.label]
            meds[t.label] = {k: med([r[k] for r in rs]) for k in rs[0]}
            row = {"model": m, "rate": rate, "server": t.label, **meds[t.label],
                   "p50s": [round(r["p50_ms"], 3) for r in rs], "p99s": [round(r["p99_ms"], 3) for r in rs],
                   "load1s": [r["load1"] for r in rs], "pressures": [r["cpu_pressure"] for r in rs]}
            record("paced-all", row)
            rows.append([m, rate, t.label, round(row["rps"]), fmt(row["p50_ms"], 3), fmt(row["p99_ms"], 3),
                         fmt(row["max_ms"], 2), " / ".join(map(str, row["p50s"])), " / ".join(map(str, row["p99s"])),
                         int(sum(r["errors"] for r in rs)), " / ".join(map(str, row["load1s"])),
                         " / ".join(map(str, row["pressures"]))])
        o = meds["Modelship"]
        for t in peers:
            p = meds[t.label]
            ratio_rows.append([m, t.label, f"{p['p50_ms'] / o['p50_ms']:.2f}×", f"{p['p99_ms'] / o['p99_ms']:.2f}×",
                               "yes" if p["p50_ms"] > o["p50_ms"] and p["p99_ms"] > o["p99_ms"] else "**no**"])
    return (md_table(["model", "req/s sent", "server", "req/s served", "p50 ms", "p99 ms", "max ms", "p50 per run",
                      "p99 per run", "errors", "load per run", "CPU pressure % per run"], rows) +
            "\n\nPeer's latency ÷ Modelship's (> 1× = Modelship lower):\n\n" +
            md_table(["model", "peer", "p50", "p99", "Modelship lower on both"], ratio_rows))


GC_VARIANTS = [("G1 (default)", []), ("-XX:+UseSerialGC", ["-XX:+UseSerialGC"]),
               ("-XX:+UseParallelGC", ["-XX:+UseParallelGC"])]


def gc_pauses(logfile):
    """(count, total ms) of the pauses in a -Xlog:gc log so far."""
    n, total = 0, 0.0
    with open(logfile) as f:
        for line in f:
            m = re.search(r"Pause.* ([0-9.]+)ms$", line.strip())
            if m:
                n += 1
                total += float(m.group(1))
    return n, total


def gc_pause_spans(logfile):
    """[(start, end)] in ms on CLOCK_MONOTONIC of the pauses in a log written with
    -Xlog:gc:file=...:uptime,timenanos (timenanos stamps a pause's end; its duration ends the line)."""
    spans = []
    with open(logfile) as f:
        for line in f:
            m = re.search(r"\[(\d+)ns\].*Pause.* ([0-9.]+)ms$", line.strip())
            if m:
                end = int(m.group(1)) / 1e6
                spans.append((end - float(m.group(2)), end))
    return spans


def bench_gc(a):
    """1 row to digits_mlp at c=1 under three collectors, round-robin: does GC make the p99?"""
    import contextlib
    results = {label: [] for label, _ in GC_VARIANTS}
    with contextlib.ExitStack() as stack:
        servers = []
        for i, (label, flags) in enumerate(GC_VARIANTS):
            logf = os.path.join(OUT, f"gc-{i}.log")
            s = stack.enter_context(Server(DIGITS, a.port + 60 + 2 * i, intra=a.intra,
                                           jvm_flags=[*flags, f"-Xlog:gc:file={logf}"]))
            warm(s, body("digits_1"), 1, a.warm_requests, a.warmup)
            servers.append((label, s, logf))
        for rep in range(a.reps):
            for label, s, logf in servers:
                log(f"gc {label} rep {rep + 1}/{a.reps}")
                n0, t0 = gc_pauses(logf)
                m = measure(s, body("digits_1"), 1, 1, a.secs)
                n1, t1 = gc_pauses(logf)
                m.update(gc_pauses=n1 - n0, gc_pause_ms=round(t1 - t0, 1))
                results[label].append(m)
    rows = []
    for label, runs in results.items():
        row = {"collector": label, **{k: med([r.get(k) for r in runs]) for k in runs[0]},
               "p99s": [r["p99_ms"] for r in runs], "load1s": [r["load1"] for r in runs]}
        record("gc", row)
        rows.append([label, round(row["rps"]), fmt(row["p50_ms"], 3), fmt(row["p99_ms"], 3),
                     " / ".join(fmt(x, 3) for x in row["p99s"]), row["gc_pauses"], row["gc_pause_ms"],
                     " / ".join(map(str, row["load1s"]))])
    return md_table(["collector", "req/s", "p50 ms", "p99 ms", "p99 per run", "GC pauses per 10 s run",
                     "GC pause ms per run", "load per run"], rows)


def cold_once(port, jvm_flags, model=DIGITS):
    cmd = server_cmd(model, port, intra=None, jvm_flags=jvm_flags)
    t0 = time.monotonic()
    proc = Proc(cmd, f"cold-{port}.log", cwd=SERVER_APP)
    ok = wait_ready(f"http://{HOST}:{port}/v2/health/ready", proc.p, secs=60, poll=0.005)
    dt = time.monotonic() - t0
    cpu = proc_cpu(proc.pid)
    proc.stop()
    return (dt, cpu) if ok else (None, None)


def bench_coldstart(a):
    """Process start -> first 200 from /v2/health/ready, digits_mlp, several JVM flag sets."""
    jsa = os.path.join(OUT, "modelship-appcds.jsa")
    if os.path.exists(jsa):
        os.remove(jsa)
    # A dynamic AppCDS archive: run once with -XX:ArchiveClassesAtExit, serve a request, stop
    # (SIGTERM exits the JVM normally, which writes the archive).
    cmd = server_cmd(DIGITS, a.port, intra=None, jvm_flags=[f"-XX:ArchiveClassesAtExit={jsa}"])
    proc = Proc(cmd, "cold-archive.log", cwd=SERVER_APP)
    if wait_ready(f"http://{HOST}:{a.port}/v2/health/ready", proc.p, secs=60):
        subprocess.run([WRK, "-t1", "-c1", "-d2s", "-s", os.path.join(BENCH, "server/post.lua"),
                        f"http://{HOST}:{a.port}/v2/models/digits_mlp/infer", "--", body("digits_1")],
                       capture_output=True)
    proc.stop()
    variants = [
        ("default", []),
        ("-XX:TieredStopAtLevel=1", ["-XX:TieredStopAtLevel=1"]),
        ("-XX:+UseSerialGC", ["-XX:+UseSerialGC"]),
        ("AppCDS (-XX:SharedArchiveFile)", [f"-XX:SharedArchiveFile={jsa}"]),
        ("AppCDS + -XX:TieredStopAtLevel=1", [f"-XX:SharedArchiveFile={jsa}", "-XX:TieredStopAtLevel=1"]),
        ("AppCDS + -XX:+UseSerialGC", [f"-XX:SharedArchiveFile={jsa}", "-XX:+UseSerialGC"]),
        ("-Xshare:off (no CDS at all)", ["-Xshare:off"]),
    ]
    if not os.path.exists(jsa):
        log("AppCDS archive was not written; skipping those variants")
        variants = [v for v in variants if "AppCDS" not in v[0]]
    rows = []
    runs = {label: [] for label, _ in variants}
    cpus = {label: [] for label, _ in variants}
    loads = {label: [] for label, _ in variants}
    for rep in range(a.cold_reps):
        for label, flags in variants:  # interleaved, so load drift hits every variant alike
            log(f"coldstart {label} rep {rep + 1}/{a.cold_reps}")
            loads[label].append(load1())
            dt, cpu = cold_once(a.port, flags)
            runs[label].append(dt)
            cpus[label].append(cpu)
    for label, flags in variants:
        vals = [v for v in runs[label] if v is not None]
        row = {"variant": label, "flags": flags, "median_s": med(vals), "runs_s": runs[label],
               "min_s": min(vals) if vals else None, "cpu_s": med(cpus[label]), "cpu_runs_s": cpus[label],
               "load1s": loads[label]}
        record("coldstart", row)
        rows.append([label, fmt(row["median_s"], 3), fmt(row["min_s"], 3),
                     " / ".join(fmt(v, 3) for v in runs[label]), fmt(row["cpu_s"], 2),
                     " / ".join(map(str, loads[label]))])
    return md_table(["JVM flags", "median s (start → ready)", "min s", "runs s", "CPU s to ready (median)",
                     "load avg per run"], rows)


def bench_c1tail(a):
    """One connection, closed loop (wrk -c1), Modelship and KServe on digits_mlp and heavy_mlp: wrk's
    p99, which counts every stall again at each interval it held up (coordinated-omission
    correction), next to the percentiles of the latencies the requests had, Modelship's GC pauses
    during each run, and the stalls: requests that took over their run's p50 + 1 ms, per 10 s, and
    how many of Modelship's were under way during one of its GC pauses (the rest are the machine's:
    scheduling, the host; KServe has them too)."""
    import contextlib
    rows = []
    for model, name in ((DIGITS, "digits_1"), (HEAVY, "heavy_1")):
        m = os.path.basename(model)
        bf = body(name)
        gc_log = os.path.join(OUT, f"c1tail-gc-{name}.log")
        if os.path.exists(gc_log):
            os.remove(gc_log)
        with contextlib.ExitStack() as stack:
            ours = stack.enter_context(Server(model, a.port, intra=a.intra, jvm_flags=[f"-Xlog:gc:file={gc_log}:uptime,timenanos"]))
            kserve = stack.enter_context(KServePeer(model, a.port + 30, intra=a.intra))
            log(f"c1tail {m}: warm-up")
            warm(ours, bf, 1, a.warm_requests, a.warmup)
            warm(kserve, bf, 1, a.warm_requests // 10, min(a.warmup, 10))
            runs = {ours.label: [], kserve.label: []}
            for rep in range(a.reps):
                for t in ([ours, kserve] if rep % 2 == 0 else [kserve, ours]):
                    log(f"c1tail {m} rep {rep + 1}/{a.reps}: {t.label}")
                    pauses0 = gc_pauses(gc_log) if t is ours else None
                    r, reqs = wrk_traced(t, bf, a.secs)
                    lat = sorted(ms for _, ms in reqs)
                    n = len(lat)
                    stalls = [(sent, sent + ms) for sent, ms in reqs if ms > lat[n // 2] + 1.0]
                    per_10s = 10 / (a.secs or 10)
                    run = {"rps": r["rps"], "wrk_p50_ms": r["p50_ms"], "wrk_p99_ms": r["p99_ms"],
                           "p50_ms": lat[n // 2], "p99_ms": lat[int(0.99 * n)], "p999_ms": lat[int(0.999 * n)],
                           "over_1ms_per_10k": 10000 * sum(1 for x in lat if x > 1.0) / n,
                           "stalls_per_10s": len(stalls) * per_10s, "load1": load1()}
                    if pauses0 is not None:
                        pauses1 = gc_pauses(gc_log)
                        spans = gc_pause_spans(gc_log)
                        in_gc = sum(1 for s0, s1 in stalls if any(p0 < s1 and p1 > s0 for p0, p1 in spans))
                        run.update(gc_pauses=pauses1[0] - pauses0[0], gc_pause_ms=round(pauses1[1] - pauses0[1], 1),
                                   stalls_in_gc_per_10s=in_gc * per_10s)
                    runs[t.label].append(run)
        for label, rs in runs.items():
            row = {"model": m, "server": label, **{k: med([r.get(k) for r in rs]) for k in rs[0]},
                   "wrk_p99_runs": [r["wrk_p99_ms"] for r in rs], "p99_runs": [round(r["p99_ms"], 3) for r in rs]}
            record("c1tail", row)
            rows.append([m, label, round(row["rps"]), fmt(row["wrk_p50_ms"], 3), fmt(row["wrk_p99_ms"]),
                         " / ".join(fmt(x) for x in row["wrk_p99_runs"]), fmt(row["p50_ms"], 3), fmt(row["p99_ms"], 3),
                         " / ".join(fmt(x, 3) for x in row["p99_runs"]), fmt(row["p999_ms"]),
                         fmt(row["over_1ms_per_10k"], 1), fmt(row["stalls_per_10s"], 0),
                         "—" if row.get("stalls_in_gc_per_10s") is None else fmt(row["stalls_in_gc_per_10s"], 0),
                         "—" if row.get("gc_pauses") is None else f"{row['gc_pauses']:.0f} / {row['gc_pause_ms']} ms",
                         " / ".join(str(r["load1"]) for r in rs)])
    return md_table(["model", "server", "req/s", "wrk p50 ms", "wrk p99 ms (corrected)", "wrk p99 per run",
                     "p50 ms (per request)", "p99 ms (per request)", "p99 per run", "p99.9 ms", "requests > 1 ms per 10k",
                     "stalls (> p50 + 1 ms) per 10 s", "… of them in a GC pause", "GC pauses / their sum per run", "load avg per run"], rows)


BENCHES = {"limit": bench_limit, "ratio": bench_ratio, "small": bench_small, "sweep": bench_sweep,
           "peers": bench_peers, "peers-all": bench_peers_all, "paced": bench_paced, "paced-all": bench_paced_all, "gc": bench_gc,
           "coldstart": bench_coldstart, "c1tail": bench_c1tail}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", nargs="+", choices=[*BENCHES, "all"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--secs", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--warmup", type=int, default=60, help="most seconds of load before measuring (JIT)")
    ap.add_argument("--warm-requests", type=int, default=30000, help="warm up until this many requests were served")
    ap.add_argument("--limit-secs", type=float, default=3.0)
    ap.add_argument("--limit-intra", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--intra", type=int, default=1, help="ONNX Runtime intra-op threads for server and limit")
    ap.add_argument("--small-intra", type=lambda s: None if s == "default" else int(s), nargs="+",
                    default=[1, None])
    ap.add_argument("--peer-batching", type=int, default=-1,
                    help="MLServer adaptive batching on (1), off (0), or on when concurrency > 1 (-1, default)")
    ap.add_argument("--peer-cases", nargs="*", default=None,
                    help="only these peer cases: heavy_1@32 digits_1@32 digits_1@1 (peers); "
                         "digits_1@1 digits_1@32 heavy_1@1 heavy_1@32 (peers-all)")
    ap.add_argument("--rate", type=int, default=200, help="requests/s of the paced benchmarks (paced-all: half of it to heavy_mlp)")
    ap.add_argument("--paced-secs", type=int, default=20,
                    help="seconds per paced run (at 200 req/s, 20 s puts 40 requests beyond the p99)")
    ap.add_argument("--cold-reps", type=int, default=5)
    ap.add_argument("--port", type=int, default=31410)
    a = ap.parse_args()
    which = list(BENCHES) if "all" in a.which else a.which
    prepare()
    info = machine()
    print(f"<!-- {json.dumps(info)} -->")
    for w in which:
        started = time.time()
        result = BENCHES[w](a)
        cmd = "python3 bench/bench.py " + " ".join(sys.argv[1:])
        print(f"\n### {w}\n\n{info['date']} · nproc {info['nproc']} · {info['cpu']} · {info['memory_gib']} GiB · "
              f"{info['java']} · `{cmd}` · {time.time() - started:.0f} s\n\n{result}\n", flush=True)


if __name__ == "__main__":
    main()
