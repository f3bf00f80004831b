-- wrk script: each request goes to a random report, mentor or activity.
-- Usage: wrk -s bench/requests.lua URL -- KIND IDS_FILE [QUERY [TOKEN [COOKIE]]]
-- KIND: baseline, get, list, by-activity, by-mentor, path, post, post-key, put.
--   path: GET QUERY, a path and query string, with each {GROUP} in it (such as
--   {mentor} or {seq}) another id of that group of IDS_FILE on every request;
--   a path without one is the same request every time.
--   post-key: a POST with an Idempotency-Key of its own on every request.
-- IDS_FILE: lines "GROUP ID", such as "report ID", "mentor ID", "activity ID"
-- (written by seed.py).
-- TOKEN: a secret to send as "Authorization: Bearer TOKEN" with every request.
-- COOKIE: a "name=value" to send as the Cookie header (a signed-in browser's session).

local ids = {}
local kind, query
local json = { ["Content-Type"] = "application/json" }
local keyed = { ["Content-Type"] = "application/json" }
local threads, sent, run = 0, 0, ""

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  kind, query = args[1], args[3] or ""
  if args[4] and args[4] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[4]
    json["Authorization"] = "Bearer " .. args[4]
    keyed["Authorization"] = "Bearer " .. args[4]
  end
  if args[5] and args[5] ~= "" then
    wrk.headers["Cookie"] = args[5]
  end
  for line in io.lines(args[2]) do
    local group, id = line:match("^(%a+) (.+)$")
    ids[group] = ids[group] or {}
    table.insert(ids[group], id)
  end
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6))
  -- No two runs, nor two threads of one, make the same Idempotency-Key.
  run = string.format("%d-%d-%d", os.time(), thread_number or 0, math.random(1, 1e9))
end

local function pick(group)
  local all = ids[group]
  return all[math.random(#all)]
end

local function report_body()
  return string.format(
    '{"activity_id":"%s","peer_mentor_id":"%s","org_id":"org_bench","fields":' ..
    '{"session_date":"2026-03-20","attendance_count":%d,"session_topic":"Budgeting"}}',
    pick("activity"), pick("mentor"), math.random(0, 1000))
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
  elseif kind == "path" then
    return wrk.format("GET", (query:gsub("{(%a+)}", pick)))
  elseif kind == "post" then
    return wrk.format("POST", "/api/v1/reports", json, report_body())
  elseif kind == "post-key" then
    sent = sent + 1
    keyed["Idempotency-Key"] = string.format("bench-%s-%d", run, sent)
    return wrk.format("POST", "/api/v1/reports", keyed, report_body())
  elseif kind == "put" then
    local body = string.format('{"fields":{"attendance_count":%d}}', math.random(0, 1000))
    return wrk.format("PUT", "/api/v1/reports/" .. pick("report"), json, body)
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors.status, summary.requests,
    errors.connect + errors.read + errors.write + errors.timeout))
end
