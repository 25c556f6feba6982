-- wrk script for POST /reservations: every request books a different free slot.
-- BENCH_BODIES is a file of JSON bodies, one per line; wrk thread t of BENCH_THREADS takes
-- lines t, t + BENCH_THREADS, ... so no two requests of the run ask for the same slot.
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  bodies = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    if i % threads == tid then
      bodies[#bodies + 1] = line
    end
    i = i + 1
  end
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  -- Running out wraps around: the repeats then answer 409 and show up as errors.
  n = n % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[n])
end
