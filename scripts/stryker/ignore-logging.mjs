// A Stryker ignorer: mutants inside a logging statement (`log.info(...)`,
// `this.log.warn(...)`, `logger.error(...)`) are not generated. A log line's
// words are not behaviour a test should pin down, and each such mutant would
// survive at the cost of every test that reaches it. What logs must never
// contain (secrets, unmasked URLs) is asserted by tests on the log output.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin'

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])

function isLogger(node) {
  if (node.type === 'Identifier') return /^(log|logger)$/i.test(node.name)
  if (node.type === 'MemberExpression' && node.property.type === 'Identifier') return /^(log|logger)$/i.test(node.property.name)
  return false
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'logging', {
    shouldIgnore(path) {
      const node = path.node
      if (node.type !== 'ExpressionStatement' || node.expression.type !== 'CallExpression') return undefined
      const callee = node.expression.callee
      if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier' && LEVELS.has(callee.property.name) && isLogger(callee.object)) {
        return 'a log statement: its words are not behaviour (what logs must not contain is tested on the output)'
      }
      return undefined
    },
  }),
]
