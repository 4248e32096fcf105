/** An error the user can act on: printed as its message alone, with exit code 2 for usage and 1 otherwise. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
