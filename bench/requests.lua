-- wrk script: each request goes to a random report, mentor or activity.
-- Usage: wrk -s bench/requests.lua URL -- KIND IDS_FILE [QUERY [TOKEN]]
-- KIND: baseline, get, list, by-activity, by-mentor, post, put.
-- IDS_FILE: lines "report ID", "mentor ID", "activity ID" (written by seed.py).
-- TOKEN: a secret to send as "Authorization: Bearer TOKEN" with every request.

local ids = { report = {}, mentor = {}, activity = {} }
local kind, query
local json = { ["Content-Type"] = "application/json" }

function init(args)
  kind, query = args[1], args[3] or ""
  if args[4] and args[4] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[4]
    json["Authorization"] = "Bearer " .. args[4]
  end
  for line in io.lines(args[2]) do
    local group, id = line:match("^(%a+) (.+)$")
    table.insert(ids[group], id)
  end
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6))
end

local function pick(group)
  local all = ids[group]
  return all[math.random(#all)]
end

function request()
  if kind == "baseline" then
    return wrk.format("GET", "/")
  elseif kind == "get" then
    return wrk.format("GET", "/api/v1/reports/" .. pick("report"))
  elseif kind == "list" then
    return wrk.format("GET", "/api/v1/reports" .. query)
  elseif kind == "by-activity" then
    return wrk.format("GET", "/api/v1/reports/by-activity/" .. pick("activity") .. query)
  elseif kind == "by-mentor" then
    return wrk.format("GET", "/api/v1/reports/by-mentor/" .. pick("mentor") .. query)
  elseif kind == "post" then
    local body = string.format(
      '{"activity_id":"%s","peer_mentor_id":"%s","org_id":"org_bench","fields":' ..
      '{"session_date":"2026-03-20","attendance_count":%d,"session_topic":"Budgeting"}}',
      pick("activity"), pick("mentor"), math.random(0, 1000))
    return wrk.format("POST", "/api/v1/reports", json, body)
  elseif kind == "put" then
    local body = string.format('{"fields":{"attendance_count":%d}}', math.random(0, 1000))
    return wrk.format("PUT", "/api/v1/reports/" .. pick("report"), json, body)
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.requests))
end
