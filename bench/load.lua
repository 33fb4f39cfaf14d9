-- wrk script: POST the request body in $BODY_FILE and print a JSON summary line.
-- Every "@RV@" in the body is replaced by a number unique to each request (the live shape: fresh
-- resourceVersions, so no two bodies are byte-identical); a body without one is sent as it is.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local template = f:read("*a")
f:close()
local parts = {}
local start = 1
while true do
  local at = string.find(template, "@RV@", start, true)
  if not at then break end
  table.insert(parts, string.sub(template, start, at - 1))
  start = at + 4
end
table.insert(parts, string.sub(template, start))
local headers = {["Content-Type"] = "application/json"}
local counter = 0

if #parts == 1 then
  wrk.method = "POST"
  wrk.body = template
  wrk.headers["Content-Type"] = "application/json"
else
  setup = function(thread)
    thread:set("thread_offset", math.random(1, 1000000000))
  end
  request = function()
    counter = counter + 1
    local pieces = {parts[1]}
    for i = 2, #parts do
      pieces[#pieces + 1] = tostring((thread_offset or 0) + counter * 100 + i)
      pieces[#pieces + 1] = parts[i]
    end
    return wrk.format("POST", nil, headers, table.concat(pieces))
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
