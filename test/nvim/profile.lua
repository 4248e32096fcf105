-- Neovim (0.7 API) as a plain LSP client of `kernelpilot lsp --stdio` on a file whose workspace holds a profile
-- report recorded on an H200:
--   nvim --headless -u test/nvim/profile.lua FILE.cu
-- Waits for the restored profile lens, asks for the hover on the first kernel, waits for the profile's line
-- diagnostics (source `kernelpilot`) and prints one JSON object, or exits with :cquit N:
--   3 server did not start · 4 no symbols · 5 no profile lens · 6 no hover · 7 no profile diagnostics · 8 other error
-- Environment: KP_NODE (node binary, default `node`), KP_CLI (default <repo>/dist/cli.js).

local script = debug.getinfo(1, 'S').source:sub(2)
local repo = vim.fn.fnamemodify(script, ':p:h:h:h')
local helpers = dofile(vim.fn.fnamemodify(script, ':p:h') .. '/lsp-helpers.lua')
local fail, request = helpers.fail, helpers.request

local function main()
  local file = vim.fn.argv(0)
  local cmd = { os.getenv('KP_NODE') or 'node', os.getenv('KP_CLI') or (repo .. '/dist/cli.js'), 'lsp', '--stdio' }
  local buf, client_id, document = helpers.start(file, cmd, { check = { onOpen = false, onSave = false } })
  if not buf then return end

  local symbols, err = request(buf, client_id, 'textDocument/documentSymbol', document)
  if err or not symbols or #symbols == 0 then return fail(4, err or 'no kernels') end

  local lens
  local deadline = vim.loop.now() + 20000
  repeat
    local lenses
    lenses, err = request(buf, client_id, 'textDocument/codeLens', document)
    if err then return fail(5, err) end
    for _, l in ipairs(lenses or {}) do
      if l.command and l.command.command == 'kernelpilot.server.openProfileReport' then lens = l end
    end
    if not lens then vim.wait(100) end
  until lens or vim.loop.now() > deadline
  if not lens then return fail(5, 'no restored profile lens within 20 s') end

  local hover
  hover, err = request(buf, client_id, 'textDocument/hover', { textDocument = document.textDocument, position = symbols[1].selectionRange.start })
  if err or not hover or not hover.contents then return fail(6, err or 'no hover') end

  local diagnostics = {}
  vim.wait(10000, function()
    diagnostics = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.source == 'kernelpilot' then table.insert(diagnostics, { line = d.lnum, severity = d.severity, message = d.message }) end
    end
    return #diagnostics > 0
  end, 50)
  if #diagnostics == 0 then return fail(7, 'no profile diagnostics within 10 s') end

  helpers.finish(client_id, { lens = lens.command.title, hover = hover.contents.value, diagnostics = diagnostics, messages = helpers.messages })
end

helpers.run(main)
