// Names built to run a command if any shell evaluates them: the SSH target's tests pass them as arguments, folder
// names, file names and environment values.

/** Names that run `touch MARKERS/<id>_<kind>` if any shell evaluates them. */
export function shellPayloads(markerDir: string, id: string): string[] {
  const touch = `touch ${markerDir}/${id}`;
  return [`$(${touch}_dollar)`, `\`${touch}_backtick\``, `"; ${touch}_dquote; "`, `'; ${touch}_squote; '`, `;${touch}_semicolon;`, `\n${touch}_newline\n`, `a b  c`, `it's`, '', '*', '~', '\\', '!x', '-n'];
}
