/**
 * The deployable kit cannot silently rot: docker-compose.yml validates
 * (docker-compose config -q, no engine needed), everything it mounts exists,
 * the FreeSWITCH files are well-formed XML with the lines the product relies
 * on, the Dockerfile builds from files that exist and runs as non-root, and
 * the compose integration tests compile.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { xmlProblem } from '../support/xml-check.ts'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

function xmlFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(join(ROOT, path)).isDirectory()) return xmlFiles(path)
    return name.endsWith('.xml') ? [path] : []
  })
}

describe('deployable kit', () => {
  it('docker-compose.yml validates', () => {
    const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8' })
    assert.ok(!result.error, 'docker-compose is not installed: sudo apt-get install -y docker-compose')
    assert.equal(result.status, 0, result.stderr)
  })

  it('every file the compose stack mounts or builds from exists', () => {
    const compose = read('docker-compose.yml')
    const mounts = [...compose.matchAll(/^\s*- \.\/([^:\s]+):/gm)].map((match) => match[1] as string)
    assert.ok(mounts.length >= 4)
    for (const mount of mounts) assert.ok(existsSync(join(ROOT, mount)), `${mount} is mounted but missing`)
    const dockerfile = read('Dockerfile')
    for (const match of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of (match[1] as string).split(/\s+/)) assert.ok(existsSync(join(ROOT, source)), `Dockerfile copies ${source}, which is missing`)
    }
    assert.match(dockerfile, /^FROM .+ AS runtime$/m)
    assert.match(dockerfile.slice(dockerfile.indexOf('AS runtime')), /^USER node$/m, 'the runtime stage runs as non-root')
    assert.match(compose, /image: safarov\/freeswitch:[\w.-]+@sha256:[0-9a-f]{64}/, 'FreeSWITCH pinned by digest')
  })

  it('the FreeSWITCH files are well-formed XML', () => {
    const files = [...xmlFiles('freeswitch-conf'), ...xmlFiles('compose/freeswitch')]
    assert.ok(files.length >= 7)
    for (const file of files) assert.equal(xmlProblem(read(file)), undefined, file)
    assert.equal(xmlProblem('<a><b></a>'), '</a> closes <b> at offset 6', 'the checker itself catches mistakes')
  })

  it('the dialplan hands calls over as SPEC section 2 says', () => {
    const dialplan = read('freeswitch-conf/dialplan/public/00_webhook_router.xml')
    assert.match(dialplan, /<action application="set" data="webhook=[\w.-]+"\/>/)
    assert.match(dialplan, /<action application="set" data="park_timeout=\d+"\/>/)
    assert.match(dialplan, /<action application="socket" data="127\.0\.0\.1:8084\|127\.0\.0\.1:8085 async full"\/>/)
    // Something runs after the socket application: the dialplan's last resort.
    assert.match(dialplan.slice(dialplan.indexOf('application="socket"')), /<action application="(transfer|hangup|voicemail|bridge)"/)
    const gateway = read('freeswitch-conf/sip_profiles/carrier/default.xml')
    assert.match(gateway, /<gateway name="default">/, 'DIAL_E164 defaults to sofia/gateway/default/{number}')
  })

  it('the compose integration tests are compiled', () => {
    assert.ok(existsSync(join(ROOT, 'dist', 'test', 'compose', 'freeswitch.compose.js')))
  })
})
