-- What the Neovim test clients (client.lua, optimize.lua) share: the server's log and messages as they arrive, a
-- failure that prints them and exits with a code, a synchronous request to the KernelPilot client, the end of a run
-- (its result as one JSON line) and its start.
--   local h = dofile(<this file>)
local M = { logs = {}, messages = {} }

function M.fail(code, why)
  io.stderr:write('nvim client: ' .. why .. '\n')
  if #M.logs > 0 then io.stderr:write('--- server log ---\n' .. table.concat(M.logs, '\n') .. '\n') end
  if #M.messages > 0 then io.stderr:write('--- showMessage ---\n' .. table.concat(M.messages, '\n') .. '\n') end
  io.stderr:flush()
  vim.cmd('cquit ' .. code)
end

function M.request(buf, client_id, method, params, timeout)
  local responses, err = vim.lsp.buf_request_sync(buf, method, params, timeout or 5000)
  if not responses then return nil, 'no answer to ' .. method .. ': ' .. tostring(err) end
  local response = responses[client_id]
  if not response then return nil, 'no answer from the KernelPilot client to ' .. method end
  if response.err then return nil, method .. ' failed: ' .. vim.inspect(response.err) end
  return response.result
end

--- Prints `result` as one JSON line, stops the client and quits with 0.
function M.finish(client_id, result)
  io.stdout:write(vim.json.encode(result) .. '\n')
  io.stdout:flush()
  vim.lsp.stop_client(client_id)
  vim.wait(3000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 20)
  vim.cmd('qall!')
end

--- Runs `main` once Neovim has started; an error in it exits with code 8.
function M.run(main)
  vim.api.nvim_create_autocmd('VimEnter', {
    once = true,
    callback = function()
      local ok, err = pcall(main)
      if not ok then M.fail(8, tostring(err)) end
    end,
  })
end

return M
