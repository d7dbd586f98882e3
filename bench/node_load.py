"""Steady V2 inference load on one URL until a file appears; counts answers and failures.

    python bench/node_load.py URL REQUEST.json EXPECTED_SUBSTRING STOP_FILE [THREADS]

Prints one JSON line: {"answered": n, "failed": n, "seconds": s, "first_failures": [...]}.
Keep-alive connections (http.client), so a pod that goes away mid-connection shows up as a failure.
"""

import http.client
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit


def main():
    url, request_file, expected, stop_file = sys.argv[1:5]
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 4
    body = open(request_file, "rb").read()
    target = urlsplit(url)
    counts = {"answered": 0, "failed": 0}
    failures = []
    lock = threading.Lock()

    def client():
        conn = None
        while not os.path.exists(stop_file):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                conn.request("POST", target.path, body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                text = response.read().decode()
                good = response.status == 200 and expected in text
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                good, text = False, repr(e)
                conn = None
            with lock:
                counts["answered" if good else "failed"] += 1
                if not good and len(failures) < 5:
                    failures.append(text[:200])

    start = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps({**counts, "seconds": round(time.monotonic() - start, 1), "first_failures": failures}))


if __name__ == "__main__":
    main()
