// A Stryker ignorer for what is not a decision of the gate, so that survivors are worth reading:
// - the text of error messages and problem reports: a mutant that empties `new JobError(\`…\`)`'s message or
//   flips a ternary inside it changes what a person reads, not what the gate concludes. Only the message is
//   ignored: the other arguments (an error's kind, an issue's path) and every condition around a `throw` are
//   still mutated;
// - declarations named in NOT_DECISIONS, which share a file with decision code but serve something else.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const MESSAGE_KEYS = new Set(['message', 'reason']);

/** Declaration name → why it is not gate decision code (and which tests cover it instead). */
const NOT_DECISIONS = new Map([
  // benchspec/defaults.ts: C/C++ type names are spec inference and harness generation, tested by
  // benchspec-infer*.test.ts and by nvcc building harnesses (harness-build, job-cli); as module-level tables
  // their mutants are static, so each would run every test file.
  ['scalarTypes', 'C type names for spec inference'],
  ['vectorBases', 'CUDA vector type names for spec inference'],
  ['CPP_TYPE', 'C++ spellings for the generated harness'],
  ['normalizeCType', 'C type name normalisation for spec inference'],
  ['dtypeOfCType', 'C type name lookup for spec inference'],
  ['vectorTypeOf', 'CUDA vector type lookup for spec inference'],
  ['describeDistribution', 'text for the CLI and hovers'],
  // benchspec/validate.ts: wording of problems ("did you mean", "an integer or a string").
  ['editDistance', 'the "did you mean" suggestion in a problem text'],
  ['didYouMean', 'the "did you mean" suggestion in a problem text'],
  ['describeType', 'type names in a problem text'],
  // harness/run.ts: what to do about a runtime failure, in words; the decision (the error's kind and stage, which
  // bench/crash.ts reads) is made in runGate.
  ['explainError', 'advice for a harness error report'],
  ['launchHint', 'advice for a launch failure'],
  ['runHint', 'advice for a kernel fault'],
]);

const isText = (node) => node.type === 'StringLiteral' || node.type === 'TemplateLiteral' || (node.type === 'BinaryExpression' && node.operator === '+');

function shouldIgnore(path) {
  const { node, parent } = path;
  if ((node.type === 'VariableDeclarator' || node.type === 'FunctionDeclaration') && node.id?.type === 'Identifier' && NOT_DECISIONS.has(node.id.name)) {
    return `not gate decision code: ${NOT_DECISIONS.get(node.id.name)}`;
  }
  if (!parent || !isText(node)) return undefined;
  const callee = parent.type === 'NewExpression' && parent.callee.type === 'Identifier' ? parent.callee.name : '';
  if (callee.endsWith('Error') && parent.arguments[0] === node) return 'the message of an error';
  const key = parent.type === 'ObjectProperty' && parent.value === node && parent.key.type === 'Identifier' ? parent.key.name : '';
  if (MESSAGE_KEYS.has(key)) return 'the text of a problem report';
  return undefined;
}

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'not-decisions', { shouldIgnore })];
