-- Neovim (0.7 API) applying an optimized kernel through the server's code action, as README's Neovim set-up does.
--   nvim --headless -u test/nvim/optimize.lua FILE.cu
-- Starts the server given by KP_SERVER (a script run with `node SCRIPT --stdio`), hands the key in KP_API_KEY to the
-- job when the server asks (kernelpilot/apiKey), starts an optimize run with workspace/executeCommand, waits for the
-- lens to say it is done, edits above the kernel, takes the "Apply optimized kernel" code action, edits below the
-- kernel (so that action's edit is stale: Neovim refuses it by its version), asks again, applies the fresh one and
-- writes the file.
-- Prints one JSON object on stdout and exits 0, or writes the reason to stderr and exits with :cquit N:
--   2 no file · 3 server did not start · 4 optimize refused · 5 no result · 6 no apply action · 8 other error
-- Environment: KP_NODE, KP_SERVER, KP_API_KEY, KP_BASE_URL (the endpoint; settings are the user's in Neovim).

local node = os.getenv('KP_NODE') or 'node'
local server = os.getenv('KP_SERVER')

local helpers = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/lsp-helpers.lua')
local logs, messages, fail = helpers.logs, helpers.messages, helpers.fail

local function request(buf, client_id, method, params)
  return helpers.request(buf, client_id, method, params, 10000)
end

local function apply_action(buf, client_id, line)
  local params = { textDocument = vim.lsp.util.make_text_document_params(buf), range = { start = { line = line, character = 2 }, ['end'] = { line = line, character = 2 } }, context = { diagnostics = {} } }
  local actions, err = request(buf, client_id, 'textDocument/codeAction', params)
  if err then return nil, err end
  for _, action in ipairs(actions or {}) do
    if action.title:find('^Apply optimized kernel') then
      if action.edit then return action end
      local why = vim.json.encode(request(buf, client_id, 'kernelpilot/optimizeEdit', { uri = vim.uri_from_bufnr(buf), kernel = 'vector_add' }))
      return nil, 'the apply action has no edit: ' .. vim.json.encode(action) .. ': ' .. tostring(why)
    end
  end
  return nil, 'no "Apply optimized kernel" action: ' .. vim.json.encode(actions or {})
end

local function main()
  local file = vim.fn.argv(0)
  if file == nil or file == '' then return fail(2, 'usage: nvim --headless -u optimize.lua FILE') end
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(buf)

  local initialized = false
  local key_requests = 0
  local client_id = vim.lsp.start_client({
    name = 'kernelpilot',
    cmd = { node, server, '--stdio' },
    root_dir = vim.fn.fnamemodify(file, ':p:h'),
    settings = { kernelpilot = { check = { onOpen = false, onSave = false }, optimize = { baseUrl = os.getenv('KP_BASE_URL'), model = 'scripted', rounds = 1, candidates = 2 } } },
    init_options = { settings = { check = { onOpen = false, onSave = false }, optimize = { baseUrl = os.getenv('KP_BASE_URL'), model = 'scripted', rounds = 1, candidates = 2 } } },
    flags = { debounce_text_changes = 0 },
    handlers = {
      ['window/logMessage'] = function(_, result) table.insert(logs, result.message) end,
      ['window/showMessage'] = function(_, result) table.insert(messages, result.message) end,
      -- The server's messages come as requests (vscode-languageserver's window.show*Message); no prompt headless.
      ['window/showMessageRequest'] = function(_, result)
        table.insert(messages, result.message)
        return vim.NIL
      end,
      ['kernelpilot/apiKey'] = function()
        key_requests = key_requests + 1
        return { key = os.getenv('KP_API_KEY') }
      end,
    },
    on_init = function() initialized = true end,
  })
  if not client_id then return fail(3, 'vim.lsp.start_client failed') end
  if not vim.wait(10000, function() return initialized end, 20) then return fail(3, 'the server did not initialize within 10 s') end
  vim.lsp.buf_attach_client(buf, client_id)
  local document = { textDocument = vim.lsp.util.make_text_document_params(buf) }

  local started, err = request(buf, client_id, 'workspace/executeCommand', { command = 'kernelpilot.server.optimize', arguments = { uri, 'vector_add' } })
  if err then return fail(4, err) end

  local done
  local deadline = vim.loop.now() + 60000
  repeat
    local lenses
    lenses, err = request(buf, client_id, 'textDocument/codeLens', document)
    if err then return fail(5, err) end
    for _, lens in ipairs(lenses or {}) do
      if lens.command and lens.command.title:find('faster · verified', 1, true) then done = lens.command.title end
    end
    if not done then vim.wait(200) end
  until done or vim.loop.now() > deadline
  if not done then return fail(5, 'the run did not end with a verified gain within 60 s') end

  -- An edit above the kernel first: Neovim 0.7 checks an edit's version only when it is above 0, and a buffer's
  -- version is 0 until its first change.
  vim.api.nvim_buf_set_lines(buf, 0, 0, false, { '// edited in nvim' })
  local kernel_line = vim.fn.search('if (i < n)', 'n') - 1
  local stale, why = apply_action(buf, client_id, kernel_line)
  if not stale then return fail(6, why) end
  -- An edit after the kernel (the buffer's version moves on): the action computed before it is refused by Neovim.
  vim.api.nvim_buf_set_lines(buf, -1, -1, false, { '// edited again' })
  vim.lsp.util.apply_workspace_edit(stale.edit, 'utf-16')
  local after_stale = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  local fresh
  fresh, why = apply_action(buf, client_id, kernel_line)
  if not fresh then return fail(6, why) end
  vim.lsp.util.apply_workspace_edit(fresh.edit, 'utf-16')
  vim.cmd('write')

  helpers.finish(client_id, {
    started = started,
    lens = done,
    title = fresh.title,
    keyRequests = key_requests,
    staleApplied = after_stale:find('stand-in: fast', 1, true) ~= nil,
    edit = fresh.edit,
    messages = messages,
  })
end

helpers.run(main)
