#!/usr/bin/env python3
"""Writes the V2 REST request bodies the load generators post (stdlib only, fixed seed).

    python3 bench/server/make_bodies.py OUT_DIR

digits_1.json  : 1 row  to digits_mlp  (input FP32 [1,64], pixel values 0..16)
heavy_1.json   : 1 row  to heavy_mlp   (x FP32 [1,1024])
heavy_8.json   : 8 rows to heavy_mlp   (x FP32 [8,1024])
heavy_1.bin    : heavy_1 in Triton's binary tensor extension: JSON header + 4096 raw
                 little-endian bytes; heavy_1.bin.hlen holds the header's length for the
                 Inference-Header-Content-Length header.
Values have 4 decimals so the JSON is what a typical client sends.
"""
import json
import os
import random
import struct
import sys


def body(name, rows, features, scale, rnd):
    data = [round(rnd.random() * scale, 4) for _ in range(rows * features)]
    return {"inputs": [{"name": name, "shape": [rows, features], "datatype": "FP32", "data": data}]}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(7)
    bodies = {
        "digits_1.json": body("input", 1, 64, 16.0, rnd),
        "heavy_1.json": body("x", 1, 1024, 1.0, rnd),
        "heavy_8.json": body("x", 8, 1024, 1.0, rnd),
    }
    for fname, b in bodies.items():
        with open(os.path.join(out, fname), "w") as f:
            json.dump(b, f, separators=(",", ":"))
    data = bodies["heavy_1.json"]["inputs"][0]["data"]
    header = json.dumps({"inputs": [{"name": "x", "shape": [1, 1024], "datatype": "FP32",
                                     "parameters": {"binary_data_size": 4 * len(data)}}]},
                        separators=(",", ":")).encode()
    with open(os.path.join(out, "heavy_1.bin"), "wb") as f:
        f.write(header + struct.pack("<%df" % len(data), *data))
    with open(os.path.join(out, "heavy_1.bin.hlen"), "w") as f:
        f.write(str(len(header)))


if __name__ == "__main__":
    main()
