#!/usr/bin/env node
// `npm run test:compose`: builds the compose stack and runs the integration tests against the real
// FreeSWITCH in it (test/compose/freeswitch.compose.ts). Needs a Docker engine with Compose.
import { spawnSync } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname

function compose() {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', ['compose']]
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose', []]
  return undefined
}

const found = compose()
if (!found || spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
  console.error(
    'npm run test:compose needs a running Docker engine with Compose (docker info failed or docker is missing).\n' +
      'Install Docker Engine and the compose plugin, then run it again. Without one, `npm test` still validates\n' +
      'docker-compose.yml (docker-compose config -q) and compiles the compose tests.',
  )
  process.exit(1)
}
const [command, prefix] = found
const run = (args) => spawnSync(command, [...prefix, '-f', 'docker-compose.yml', '--profile', 'test', ...args], { cwd: root, stdio: 'inherit' }).status ?? 1
const status = run(['up', '--build', '--abort-on-container-exit', '--exit-code-from', 'compose-tests'])
run(['down', '--volumes', '--remove-orphans'])
process.exit(status)
