// A Stryker ignorer for what is not a decision of the gate, so that survivors are worth reading and the run fits
// in well under an hour. Ignored (each with the reason Stryker records):
// - text a person reads: error messages (`new JobError(\`…\`)`), a probe's reason, a rule or headline, the notes,
//   reasons and warnings lists' entries, and locals that only build such text. Only the text is ignored: whether
//   a reason is given, which list it goes to, and every condition around it are still mutated, so "a reason is
//   pushed" stays a decision while its wording is not;
// - where the editor puts a spec problem (its JSON pointer, key flag and span): placement, not whether the spec runs;
// - the optimizer's progress events for the UI (`emit`), which decide nothing;
// - declarations named in NOT_DECISIONS, which share a file with decision code but serve something else.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

/** Object keys, assignment targets and variables whose value is text for a person, in every mutated file. */
const TEXT_KEYS = new Set(['message', 'reason', 'rule', 'headline', 'summary', 'detail', 'problem', 'impossibleReason', 'what']);

/** Arrays of text whose entries are what a person reads (their length may decide; their wording does not). */
const TEXT_LISTS = new Set(['reasons', 'warnings', 'notes', 'parts', 'weak', 'problems']);

/** Per file (path suffix): more keys and declarations that only hold or build text, or placement. */
const TEXT_IN_FILE = new Map([
  // The probe's details are the evidence shown beside its reason (the first failing element, counts); what the
  // probe decides is `passed`. sizesText, at, valueText, firstFailure, absDiff build the reason's words.
  ['server/src/derive/probes.ts', new Set(['details', 'matchDetails', 'writtenDetails', 'sizesText', 'at', 'valueText', 'firstFailure', 'absDiff', 'note', 'first', 'which', 'where', 'warm'])],
  ['server/src/derive/compare.ts', new Set(['pText', 'effectText'])],
  ['server/src/derive/verdict.ts', new Set(['first', 'what', 'x'])],
  ['server/src/bench/fits.ts', new Set(['bytesText', 'field', 'origin'])],
  ['server/src/harness/run.ts', new Set(['where', 'how', 'stderr'])],
  ['server/src/optimize/loop.ts', new Set(['resultMessage'])],
  ['server/src/benchspec/validate.ts', new Set(['path', 'key', 'span', 'label', 'valueAt', 'state'])],
]);

/** Constructors and functions whose argument at this position only names something in an error message. */
const TEXT_ARGUMENT = new Map([['Stop', 1], ['HarnessRunError', 1], ['JobError', 1], ['skipped', 2], ['sortedCopy', 1], ['positive', 1], ['checkTimes', 1], ['aligned', 2], ['rawBits', 2], ['decodeValues', 2]]);

/** Calls that decide nothing (the optimizer loop's progress events for the UI). */
const NOT_DECISION_CALLS = new Set(['emit']);

/** Declaration name → why it is not gate decision code (and which tests cover it instead). */
const NOT_DECISIONS = new Map([
  // benchspec/defaults.ts: C/C++ type names are spec inference and harness generation, tested by
  // benchspec-infer*.test.ts and by nvcc building harnesses (harness-build, job-cli).
  ['scalarTypes', 'C type names for spec inference'],
  ['vectorBases', 'CUDA vector type names for spec inference'],
  ['CPP_TYPE', 'C++ spellings for the generated harness'],
  ['normalizeCType', 'C type name normalisation for spec inference'],
  ['dtypeOfCType', 'C type name lookup for spec inference'],
  ['vectorTypeOf', 'CUDA vector type lookup for spec inference'],
  ['describeDistribution', 'text for the CLI and hovers'],
  ['DTYPES', 'the key order a spec file is written in (serialize.ts)'],
  // benchspec/validate.ts: wording of problems ("did you mean", "an integer or a string").
  ['editDistance', 'the "did you mean" suggestion in a problem text'],
  ['didYouMean', 'the "did you mean" suggestion in a problem text'],
  ['describeType', 'type names in a problem text'],
  // harness/run.ts: what to do about a runtime failure, in words; the decision (the error's kind and stage, which
  // bench/crash.ts reads) is made in runGate.
  ['explainError', 'advice for a harness error report'],
  ['launchHint', 'advice for a launch failure'],
  ['runHint', 'advice for a kernel fault'],
  // optimize/budget.ts: the spend in words for the CLI and the panel.
  ['formatSpend', 'the spend as text'],
]);

const fileOf = (path) => path.hub?.file?.opts?.filename?.replaceAll('\\', '/') ?? '';
const namesIn = (path) => {
  const file = fileOf(path);
  for (const [suffix, names] of TEXT_IN_FILE) if (file.endsWith(suffix)) return names;
  return undefined;
};
const isText = (node) => node.type === 'StringLiteral' || node.type === 'TemplateLiteral' || (node.type === 'BinaryExpression' && node.operator === '+');
const nameOf = (node) => (node?.type === 'Identifier' ? node.name : node?.type === 'MemberExpression' && !node.computed ? node.property.name : '');

function shouldIgnore(path) {
  const { node, parent } = path;
  const fileNames = namesIn(path);
  const isTextName = (name) => TEXT_KEYS.has(name) || Boolean(fileNames?.has(name));
  // A declaration by name: a function or variable that only builds text, or is not decision code.
  if ((node.type === 'VariableDeclarator' || node.type === 'FunctionDeclaration') && node.id?.type === 'Identifier') {
    if (NOT_DECISIONS.has(node.id.name)) return `not gate decision code: ${NOT_DECISIONS.get(node.id.name)}`;
    if (node.type === 'FunctionDeclaration' && fileNames?.has(node.id.name)) return 'builds text for a person';
  }
  if (!parent) return undefined;
  if (node.type === 'ExpressionStatement' && node.expression.type === 'CallExpression' && NOT_DECISION_CALLS.has(nameOf(node.expression.callee))) return 'a progress event for the UI';
  // The value given to a text name: `reason: …`, `result.headline = …`, `const pText = …`, `summary += …`.
  if (parent.type === 'ObjectProperty' && parent.value === node && !parent.computed && isTextName(parent.key.name ?? parent.key.value)) return 'text for a person';
  if (parent.type === 'VariableDeclarator' && parent.init === node && isTextName(nameOf(parent.id))) return 'text for a person';
  if ((parent.type === 'AssignmentExpression' || parent.type === 'AssignmentPattern') && parent.right === node && isTextName(nameOf(parent.left))) return 'text for a person';
  if ((parent.type === 'NewExpression' || parent.type === 'CallExpression') && parent.arguments.includes(node)) {
    const callee = nameOf(parent.callee);
    const at = parent.arguments.indexOf(node);
    if ((parent.type === 'NewExpression' && callee.endsWith('Error') && at === 0 && isText(node)) || TEXT_ARGUMENT.get(callee) === at) return 'the message of an error';
  }
  if (parent.type === 'CallExpression' && parent.arguments.includes(node) && parent.callee.type === 'MemberExpression' && nameOf(parent.callee) === 'push' && TEXT_LISTS.has(nameOf(parent.callee.object))) {
    return 'an entry of a list of text';
  }
  return undefined;
}

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'not-decisions', { shouldIgnore })];
