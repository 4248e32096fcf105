// Spec expressions ("n", "cdiv(n, 256)", "rows * cols") as C++ over the harness's `long long` size
// variables, through the spec's own parser (spec/expr.ts), so the harness and the TypeScript side agree on
// every operator. This adds only what the harness needs on top: the spec field's name in every error, and a
// refusal of names that are not size variables (they would otherwise fail later, as C++ errors).
import { ExprError, parseExpr, toCpp, variablesOf } from '../../benchspec/expr';

export class SpecExpressionError extends Error {
  constructor(
    /** Where in the spec, e.g. `launch.grid[0]`. */
    readonly where: string,
    readonly expression: string,
    reason: string,
  ) {
    super(`${where}: ${reason} (in '${expression}')`);
    this.name = 'SpecExpressionError';
  }
}

/** C++ for one spec expression over `sizeNames`. Throws SpecExpressionError naming the field. */
export function exprToCpp(expression: string, where: string, sizeNames: readonly string[]): string {
  if (expression.includes('?')) throw new SpecExpressionError(where, expression, 'the spec still has a placeholder here; fill it in');
  let node;
  try {
    node = parseExpr(expression);
  } catch (error) {
    if (error instanceof ExprError) throw new SpecExpressionError(where, expression, error.message);
    throw error;
  }
  const unknown = variablesOf(node).filter((name) => !sizeNames.includes(name));
  if (unknown.length > 0) {
    throw new SpecExpressionError(where, expression, `${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length > 1 ? 'are not size variables' : 'is not a size variable'} (sizes: ${sizeNames.join(', ') || 'none'})`);
  }
  return toCpp(node);
}
