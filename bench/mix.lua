-- wrk script for the mixed run: BENCH_PLAN is a file of requests, one per line as
-- METHOD<TAB>PATH<TAB>BEARER TOKEN<TAB>JSON BODY (may be empty), already shuffled in the mix's
-- proportions by bench.run; wrk thread t of BENCH_THREADS sends lines t, t + BENCH_THREADS, ...
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(os.getenv("BENCH_THREADS"))
  plan = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_PLAN")) do
    if i % count == tid then
      local method, path, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {["Authorization"] = "Bearer " .. token}
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      plan[#plan + 1] = wrk.format(method, path, headers, body)
    end
    i = i + 1
  end
  n = 0
  wraps = 0
end

function request()
  -- Running out wraps around: repeated creates and cancels then answer 409 (counted as errors).
  if n == #plan then
    wraps = wraps + 1
  end
  n = n % #plan + 1
  return plan[n]
end

function done(summary, latency, requests)
  local wrapped = 0
  for _, thread in ipairs(threads) do
    wrapped = wrapped + thread:get("wraps")
  end
  io.write(string.format("mix p50 %d p95 %d p99 %d us; plan wrapped %d times\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), wrapped))
end
