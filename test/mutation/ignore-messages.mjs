// A Stryker ignorer: the text of error messages and problem reports is not a decision of the gate. A mutant that
// empties `new JobError(\`…\`)`'s message or flips a ternary inside it changes what a person reads, not what the
// gate concludes, and would otherwise be most of the survivors. Only the message is ignored: the other arguments
// (an error's kind, an issue's path) and every condition around a `throw` are still mutated.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const MESSAGE_KEYS = new Set(['message', 'reason']);
const isText = (node) => node.type === 'StringLiteral' || node.type === 'TemplateLiteral' || (node.type === 'BinaryExpression' && node.operator === '+');

function shouldIgnore(path) {
  const { node, parent } = path;
  if (!parent || !isText(node)) return undefined;
  const callee = parent.type === 'NewExpression' && parent.callee.type === 'Identifier' ? parent.callee.name : '';
  if (callee.endsWith('Error') && parent.arguments[0] === node) return 'the message of an error';
  const key = parent.type === 'ObjectProperty' && parent.value === node && parent.key.type === 'Identifier' ? parent.key.name : '';
  if (MESSAGE_KEYS.has(key)) return 'the text of a problem report';
  return undefined;
}

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'messages', { shouldIgnore })];
