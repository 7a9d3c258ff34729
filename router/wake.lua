-- Eco sleeping. When an app's Eco dynos go to sleep, the dyno manager first puts its servers in
-- maintenance through the admin socket, so no request is sent to a stopping dyno. A request for
-- an app with no server up is held here: this logs a wake line (the dyno manager follows the
-- router's log and starts the dynos), takes the servers out of maintenance, and waits until one
-- of them accepts a connection. After the timeout the router answers H20 (App boot timeout).
--
-- While the engine's Eco dyno hour pool is used up, the dyno manager keeps a file in the router
-- (ECO_POOL_EMPTY_FILE in provider/router/router-names.ts): then nothing wakes, the router answers
-- H82 at once.

local ECO_POOL_EMPTY_FILE = "/etc/haproxy/eco-pool-empty"

local function accepts(addr)
  local host, port = string.match(addr or "", "^(.+):(%d+)$")
  if not host or host == "0.0.0.0" then return false end
  local sock = core.tcp()
  sock:settimeout(1)
  local ok = sock:connect(host, tonumber(port))
  sock:close()
  return ok ~= nil
end

local function eco_pool_empty()
  local f = io.open(ECO_POOL_EMPTY_FILE, "r")
  if f == nil then return false end
  f:close()
  return true
end

core.register_action("dynoform_wake", { "http-req" }, function(txn, backend, app, timeout)
  if eco_pool_empty() then
    txn:set_var("txn.wake", "exhausted")
    return
  end
  core.Warning("dynoform-wake app=" .. app)
  local deadline = core.now().sec + tonumber(timeout)
  while core.now().sec < deadline do
    local be = core.backends[backend]
    if be then
      for _, srv in pairs(be.servers) do
        local status = srv:get_stats().status
        if status == "MAINT" then srv:set_ready() end
        if string.sub(status, 1, 2) == "UP" and accepts(srv:get_addr()) then return end
      end
    end
    core.msleep(200)
  end
  txn:set_var("txn.wake", "timeout")
end, 3)
