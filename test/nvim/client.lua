-- Neovim (0.7 API) as a plain LSP client of `kernelpilot lsp --stdio`.
--   nvim --headless -u test/nvim/client.lua FILE.cu
-- Opens FILE, attaches the KernelPilot server, asks for document symbols, code lenses (until one shows
-- registers from the nvcc check), a hover on the first kernel, then inserts a kernel through the buffer (so
-- Neovim sends an incremental didChange) and asks for symbols again. Prints one JSON object on stdout and exits
-- 0, or writes the reason (and the server's log) to stderr and exits with :cquit N:
--   2 no file argument · 3 server did not start · 4 no symbols · 5 no lens with registers · 6 no hover
--   7 symbols wrong after an edit · 8 other error
-- Environment: KP_NODE (node binary, default `node`), KP_CLI (default <repo>/dist/cli.js),
-- KP_LENS_TIMEOUT_MS (default 30000).

local script = debug.getinfo(1, 'S').source:sub(2)
local repo = vim.fn.fnamemodify(script, ':p:h:h:h')
local node = os.getenv('KP_NODE') or 'node'
local cli = os.getenv('KP_CLI') or (repo .. '/dist/cli.js')
local lens_timeout = tonumber(os.getenv('KP_LENS_TIMEOUT_MS') or '') or 30000

local helpers = dofile(vim.fn.fnamemodify(script, ':p:h') .. '/lsp-helpers.lua')
local messages, fail, request = helpers.messages, helpers.fail, helpers.request

local function names(symbols)
  local out = {}
  for _, s in ipairs(symbols or {}) do table.insert(out, s.name) end
  return out
end

local function main()
  local file = vim.fn.argv(0)
  if file == nil or file == '' then return fail(2, 'usage: nvim --headless -u client.lua FILE') end
  -- Answered to workspace/configuration (section `kernelpilot`) by Neovim's default handler.
  local buf, client_id, document = helpers.start(file, { node, cli, 'lsp', '--stdio' }, { check = { debounceMs = 50 } })
  if not buf then return end

  local symbols, err = request(buf, client_id, 'textDocument/documentSymbol', document)
  if err then return fail(4, err) end
  if not symbols or #symbols == 0 then return fail(4, 'documentSymbol returned no kernels') end

  -- Lenses: poll until the background nvcc check fills one in.
  local lenses, lens_with_regs
  local deadline = vim.loop.now() + lens_timeout
  repeat
    lenses, err = request(buf, client_id, 'textDocument/codeLens', document)
    if err then return fail(5, err) end
    for _, lens in ipairs(lenses or {}) do
      if lens.command and lens.command.title:find('regs', 1, true) then lens_with_regs = lens end
    end
    if not lens_with_regs then vim.wait(200) end
  until lens_with_regs or vim.loop.now() > deadline
  if not lens_with_regs then return fail(5, 'no lens showed registers within ' .. lens_timeout .. ' ms: ' .. vim.json.encode(lenses or {})) end

  local hover
  hover, err = request(buf, client_id, 'textDocument/hover', { textDocument = document.textDocument, position = symbols[1].selectionRange.start })
  if err then return fail(6, err) end
  if not hover or not hover.contents then return fail(6, 'no hover on ' .. symbols[1].name) end

  -- An edit through the buffer: Neovim computes and sends the incremental didChange itself.
  local last = symbols[#symbols].range['end'].line + 1
  vim.api.nvim_buf_set_lines(buf, last, last, false, { '', '__global__ void added_in_nvim(int* p) {', '  p[threadIdx.x] = 0;', '}' })
  local after_edit
  deadline = vim.loop.now() + 5000
  repeat
    after_edit, err = request(buf, client_id, 'textDocument/documentSymbol', document)
    if err then return fail(7, err) end
    if #(after_edit or {}) ~= #symbols + 1 then vim.wait(50) end
  until #(after_edit or {}) == #symbols + 1 or vim.loop.now() > deadline
  local expected = names(symbols)
  table.insert(expected, 'added_in_nvim')
  local got = names(after_edit)
  if vim.json.encode(got) ~= vim.json.encode(expected) then
    return fail(7, 'symbols after the edit: ' .. vim.json.encode(got) .. ', expected ' .. vim.json.encode(expected))
  end

  helpers.finish(client_id, {
    file = file,
    symbols = symbols,
    lenses = lenses,
    hover = hover,
    symbolsAfterEdit = got,
    messages = messages,
  })
end

helpers.run(main)
