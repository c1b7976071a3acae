/** The step grammar is one table: docs/configuration.md shows every application's form and every allowed variable. */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { OUTCOME_VARIABLE_NAMES } from '../../src/call/outcome.ts'
import { APPLICATIONS } from '../../src/steps/grammar.ts'
import { STEP_VARIABLES } from '../../src/steps/variables.ts'

const ROOT = join(import.meta.dirname, '..', '..', '..')

/** docs/configuration.md, where the step grammar's table lives. */
function docs(): string {
  // Markdown tables escape | as \\|.
  return readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8').replaceAll('\\|', '|')
}

describe('step grammar documentation', () => {
  const text = docs()
  it('shows the accepted form of every application', () => {
    for (const [name, application] of Object.entries(APPLICATIONS)) {
      const shown = application.syntax.includes(' ') ? `\`${application.syntax}\`` : `\`${name}\``
      assert.ok(text.includes(shown), `the docs show ${shown}`)
    }
  })

  it('names every variable a step may set', () => {
    for (const name of Object.keys(STEP_VARIABLES)) {
      if ((OUTCOME_VARIABLE_NAMES as readonly string[]).includes(name)) continue
      assert.ok(text.includes(`\`${name}\``), name)
    }
  })
})
