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

--- Opens FILE and attaches a KernelPilot client started with CMD and SETTINGS (also sent as initialization options)
--- rooted at the file's folder; EXTRA handlers join the log and message ones. Returns buf, client_id and the
--- document params, or nil after fail(3, why).
function M.start(file, cmd, settings, extra)
  vim.cmd('filetype on')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local initialized = false
  local handlers = {
    ['window/logMessage'] = function(_, result) table.insert(M.logs, result.message) end,
    ['window/showMessage'] = function(_, result) table.insert(M.messages, result.message) end,
  }
  for name, handler in pairs(extra or {}) do handlers[name] = handler end
  local client_id = vim.lsp.start_client({
    name = 'kernelpilot',
    cmd = cmd,
    root_dir = vim.fn.fnamemodify(file, ':p:h'),
    settings = { kernelpilot = settings },
    init_options = { settings = settings },
    flags = { debounce_text_changes = 0 },
    handlers = handlers,
    on_init = function() initialized = true end,
  })
  if not client_id then return M.fail(3, 'vim.lsp.start_client failed (is dist/cli.js built?)') end
  if not vim.wait(10000, function() return initialized end, 20) then return M.fail(3, 'the server did not initialize within 10 s') end
  vim.lsp.buf_attach_client(buf, client_id)
  return buf, client_id, { textDocument = vim.lsp.util.make_text_document_params(buf) }
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
