"""Steady V2 inference load on one model until a file appears; counts answers and failures.

    python rollout_load.py http|grpc HOST:PORT MODEL REQUEST.json EXPECTED_LABELS STOP_FILE [CLIENTS]

HTTP: keep-alive connections (http.client), each reopened only when the server says
`Connection: close` or fails. gRPC: Triton's client (tritonclient.grpc), one channel per client.
Either way a pod that goes away under a client shows up as a failure. REQUEST.json is a V2 JSON
request with one input; EXPECTED_LABELS the first output's data, e.g. "2,0,4". Prints one JSON line:
{"protocol": ..., "answered": n, "failed": n, "seconds": s, "first_failures": [...]}.
"""

import http.client
import json
import os
import sys
import threading
import time

import numpy as np


def http_client(target, model, body, expected):
    host, port = target.rsplit(":", 1)
    conn = None

    def call():
        nonlocal conn
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
            conn.request("POST", f"/v2/models/{model}/infer", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            text = response.read().decode()
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
            if response.status != 200:
                return f"{response.status} {text[:200]}"
            labels = json.loads(text)["outputs"][0]["data"]
            return None if labels == expected else f"labels {labels}"
        except (OSError, http.client.HTTPException) as e:
            conn = None
            return repr(e)[:200]

    return call


def grpc_client(target, model, request, expected):
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException

    (only,) = request["inputs"]
    rows = np.asarray(only["data"], dtype=np.float32).reshape(only["shape"])
    client = grpcclient.InferenceServerClient(url=target)

    def call():
        try:
            inp = grpcclient.InferInput(only["name"], list(rows.shape), "FP32")
            inp.set_data_from_numpy(rows)
            result = client.infer(model, [inp])
            labels = result.as_numpy(result.get_response().outputs[0].name).tolist()
            return None if labels == expected else f"labels {labels}"
        except InferenceServerException as e:
            return f"{e.status()} {e.message()}"[:200]

    return call


def main():
    protocol, target, model, request_file, expected, stop_file = sys.argv[1:7]
    clients = int(sys.argv[7]) if len(sys.argv) > 7 else 4
    body = open(request_file, "rb").read()
    expected = [int(x) for x in expected.split(",")]
    counts = {"answered": 0, "failed": 0}
    failures = []
    lock = threading.Lock()

    def run():
        call = (http_client(target, model, body, expected) if protocol == "http"
                else grpc_client(target, model, json.loads(body), expected))
        while not os.path.exists(stop_file):
            failure = call()
            with lock:
                counts["failed" if failure else "answered"] += 1
                if failure and len(failures) < 5:
                    failures.append(failure)

    start = time.monotonic()
    workers = [threading.Thread(target=run) for _ in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps({"protocol": protocol, **counts, "seconds": round(time.monotonic() - start, 1),
                      "first_failures": failures}))


if __name__ == "__main__":
    main()
