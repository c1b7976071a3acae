/**
 * The docs cannot silently rot: every relative link in README.md and docs/
 * resolves (files and #anchors), every `webhook-router` command shown in a
 * code block is a real command whose options exist (run with --help, which
 * touches nothing), and every environment variable the code reads is
 * documented: the router's and the console's in docs/operations.md, the
 * scripts', benchmarks' and the example webhook's somewhere in the docs.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, it } from 'node:test'
import { SETTINGS } from '../../src/config/env.ts'
import { CONSOLE_SETTINGS } from '../../src/console/settings.ts'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = join(ROOT, 'dist', 'src', 'cli', 'main.js')

/** README.md and every page under docs/, as [path, text]. */
export function documentationPages(): Array<[string, string]> {
  const docs = join(ROOT, 'docs')
  const pages = readdirSync(docs)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(docs, name))
  return [join(ROOT, 'README.md'), ...pages].map((path) => [path, readFileSync(path, 'utf8')])
}

/** Text outside fenced code blocks (links inside code are not links). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '')
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(heading ?? '')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    result.add(count === 0 ? base : `${base}-${count}`)
  }
  return result
}

/** Every relative link target of a page: [target, the link as written]. */
export function relativeLinks(markdown: string): Array<[string, string]> {
  const links: Array<[string, string]> = []
  for (const match of prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
    const target = match[1] ?? ''
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue
    links.push([target, match[0]])
  }
  return links
}

/** A shell line's words, quotes removed (enough for the commands the docs show). */
export function shellWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let quote: string | undefined
  let inWord = false
  for (const char of line) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined
      else word += char
    } else if (char === "'" || char === '"') {
      quote = char
      inWord = true
    } else if (char === '#' && !inWord) {
      break
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += char
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}

/** The arguments of every `webhook-router` command in the pages' shell code blocks. */
export function documentedCommands(markdown: string): string[][] {
  const commands: string[][] = []
  for (const [, language, body] of markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
    if (!['sh', 'bash', 'shell', 'console', ''].includes(language ?? '')) continue
    const joined = (body ?? '').replace(/\\\n/g, ' ')
    for (const line of joined.split('\n')) {
      const words = shellWords(line)
      const at = words.indexOf('webhook-router')
      if (at === -1) continue
      // Up to a pipe, a redirection or a command separator.
      const end = words.findIndex((word, index) => index > at && /^(\||>|<|&&|;|\|\|)$/.test(word))
      commands.push(words.slice(at + 1, end === -1 ? undefined : end))
    }
  }
  return commands
}

function help(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8', timeout: 10_000, env: { PATH: process.env['PATH'] ?? '', REDIS_URL: 'redis://127.0.0.1:1' } })
}

/** Environment variables read as env['NAME'] in these folders' TypeScript. */
function envReads(folder: string): Set<string> {
  const names = new Set<string>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.ts')) for (const [, variable] of readFileSync(path, 'utf8').matchAll(/env\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) names.add(variable ?? '')
    }
  }
  walk(join(ROOT, folder))
  names.delete('PATH')
  return names
}

describe('documentation', () => {
  const pages = documentationPages()

  it('every relative link resolves, #anchors included', () => {
    const broken: string[] = []
    let checked = 0
    for (const [path, text] of pages) {
      for (const [target, written] of relativeLinks(text)) {
        checked++
        const [file = '', anchor] = target.split('#')
        const resolved = file === '' ? path : join(dirname(path), decodeURIComponent(file))
        if (!existsSync(resolved)) {
          broken.push(`${relative(ROOT, path)}: ${written}: no such file`)
          continue
        }
        if (anchor !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
          broken.push(`${relative(ROOT, path)}: ${written}: no heading #${anchor} in ${relative(ROOT, resolved)}`)
        }
      }
    }
    assert.ok(checked > 30, `${checked} links checked`)
    assert.deepEqual(broken, [])
  })

  it('every webhook-router command shown is a real command, with options it has', () => {
    const serveHelp = help(['serve']).stdout
    const problems: string[] = []
    let checked = 0
    for (const [path, text] of pages) {
      for (const args of documentedCommands(text)) {
        checked++
        const shown = `${relative(ROOT, path)}: webhook-router ${args.join(' ')}`
        const result = help(args)
        if (result.status !== 0) {
          problems.push(`${shown}: exit ${result.status}: ${result.stderr.trim()}`)
          continue
        }
        // Every command also takes the router's settings as flags (--redis-url ...).
        const known = `${result.stdout}\n${serveHelp}`
        for (const option of args.filter((arg) => arg.startsWith('--'))) {
          const name = option.split('=')[0] ?? option
          if (!new RegExp(`(^|[\\s\\[(|])${name}(?![\\w-])`, 'm').test(known)) problems.push(`${shown}: ${name} is not an option of this command`)
        }
      }
    }
    assert.ok(checked > 15, `${checked} commands checked`)
    assert.deepEqual(problems, [])
  })

  it('every environment variable the router and the console read is in docs/operations.md', () => {
    const operations = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8')
    const names = [...SETTINGS.map((spec) => spec.env), ...CONSOLE_SETTINGS.map((spec) => spec.env), ...envReads('src')]
    assert.ok(names.length > 30)
    assert.deepEqual(
      names.filter((name) => !operations.includes(`\`${name}\``)),
      [],
    )
  })

  it("every environment variable the scripts, benchmarks and the example webhook read is documented", () => {
    const all = pages.map(([, text]) => text).join('\n')
    const names = [...envReads('scripts'), ...envReads('bench'), ...envReads('examples')]
    assert.ok(names.length > 5)
    assert.deepEqual(
      names.filter((name) => !all.includes(`\`${name}\``)),
      [],
    )
  })

  it('the link, command and variable readers find what they should (so the checks above can fail)', () => {
    assert.deepEqual(relativeLinks('[a](docs/x.md#y) [b](https://e.example) ![c](s.png)\n```\n[d](in-code.md)\n```'), [
      ['docs/x.md#y', '[a](docs/x.md#y)'],
      ['s.png', '![c](s.png)'],
    ])
    assert.deepEqual(documentedCommands("```sh\nFOO=1 npx webhook-router config set a 'b=c d' \\\n  e=f   # note\nwebhook-router calls | head\n```\n"), [
      ['config', 'set', 'a', 'b=c d', 'e=f'],
      ['calls'],
    ])
    assert.equal(slug('The Event Socket engine (`src/esl`)'), 'the-event-socket-engine-srcesl')
    assert.notEqual(help(['bogus']).status, 0, 'an unknown command fails')
  })
})
