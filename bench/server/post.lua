-- wrk script: POST one body file (given after "--") on every request, and print a
-- machine-readable summary line at the end.
--   wrk -t1 -c32 -d10s -s bench/server/post.lua http://127.0.0.1:P/v2/models/M/infer -- body.json
--   ... -- body.bin HEADER_LENGTH   (Triton binary tensor extension: the body is a JSON
--                                    header of HEADER_LENGTH bytes followed by raw tensors)
function init(args)
  local fh = assert(io.open(args[1], "rb"))
  wrk.method = "POST"
  wrk.body = fh:read("*a")
  fh:close()
  if args[2] then
    wrk.headers["Content-Type"] = "application/octet-stream"
    wrk.headers["Inference-Header-Content-Length"] = args[2]
  else
    wrk.headers["Content-Type"] = "application/json"
  end
end

function done(summary, latency, requests)
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write
             + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errs))
end
