#!/usr/bin/env node
// Builds the project, checks what the suite needs, then runs every compiled
// test file with node's own runner (Node 20's --test takes no glob patterns).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (result.error) throw result.error
  return result.status ?? 1
}

if (!existsSync(join(root, 'node_modules'))) {
  console.error('node_modules is missing: run `npm ci` first.')
  process.exit(1)
}
const redis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
if (redis.error) {
  console.error('redis-server is not installed: the tests start their own. Install it with `sudo apt-get install -y redis-server`.')
  process.exit(1)
}
if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).error) {
  console.error('docker-compose is not installed: the suite validates docker-compose.yml with it (no Docker engine needed). Install it with `sudo apt-get install -y docker-compose`.')
  process.exit(1)
}
if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) {
  console.error('chromium is not installed: the console\'s browser tests drive it (playwright-core, /usr/bin/chromium). Install Debian\'s package with `sudo apt-get install -y chromium` (or set CHROMIUM_PATH).')
  process.exit(1)
}
// A test file deleted or renamed in the sources must not run from an old build.
rmSync(join(root, 'dist', 'test'), { recursive: true, force: true })
if (run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json']) !== 0) process.exit(1)

function testFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) return testFiles(path)
      return name.endsWith('.test.js') ? [path] : []
    })
}

const only = process.argv.slice(2)
const files = testFiles(join(root, 'dist', 'test')).filter((file) => only.length === 0 || only.some((part) => file.includes(part)))
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// A test that hangs fails after 60 s instead of stalling the suite.
process.exit(run(process.execPath, ['--test', '--test-timeout=60000', '--test-reporter=spec', ...files]))
