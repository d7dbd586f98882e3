-- wrk script for one connection: POST a JSON body file and log every request's own latency to a
-- file, one line per request: when it was sent and how long it took (microseconds, CLOCK_MONOTONIC,
-- the clock of the JVM's -Xlog timenanos decorator), besides wrk's summary line.
--   wrk -t1 -c1 -d10s -s bench/server/trace.lua URL -- body.json latencies.txt
-- wrk's own percentiles are corrected for coordinated omission: a request that took T is
-- counted again at T - i, T - 2i, ... for the mean interval i between requests, as if requests
-- had kept arriving at that rate during the stall. The log here has the latencies the requests
-- actually had, so the two can be told apart (bench.py c1tail).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } wrk_timespec;
  int clock_gettime(int clock, wrk_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("wrk_timespec")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

-- post.lua (next to this file) reads the body and prints the summary line; this adds the log.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "post.lua")

local sent, log
local post_init = init

function init(args)
  post_init({args[1]})
  log = assert(io.open(args[2], "w"))
  log:setvbuf("full", 1048576)  -- written when wrk exits (C stdio flushes open files then)
end

function request()
  sent = now_us()
  return wrk.format()
end

function response(status, headers, body)
  log:write(string.format("%.1f %.1f\n", sent, now_us() - sent))
end
