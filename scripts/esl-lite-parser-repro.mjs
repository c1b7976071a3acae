#!/usr/bin/env node
// Reproduces why the router frames the outbound socket itself instead of using
// esl-lite's FreeSwitchParser (esl-lite 3.2.0): feed it byte streams exactly as
// FreeSWITCH sends them and compare with the router's FrameParser.
// Run after `npm run build`: node scripts/esl-lite-parser-repro.mjs
import { FreeSwitchParser } from 'esl-lite'
import { FrameParser } from '../dist/src/esl/frame-parser.js'

const quiet = { debug() {}, info() {}, error() {} }

async function eslLite(chunks) {
  const socket = (async function* () {
    for (const chunk of chunks) yield Buffer.from(chunk)
  })()
  const frames = []
  for await (const item of FreeSwitchParser(socket, quiet)) {
    if (item instanceof Error) frames.push(`error: ${item.name}`)
    else frames.push(Object.fromEntries(item.headers.headers))
  }
  return frames
}

function ours(chunks) {
  const parser = new FrameParser()
  return chunks.flatMap((chunk) => parser.push(Buffer.from(chunk))).map((frame) => Object.fromEntries(frame.headers))
}

const cases = [
  {
    title: 'blank line split across two reads',
    chunks: ['Content-Type: command/reply\nReply-Text: +OK\n', '\nContent-Type: command/reply\nReply-Text: +OK will linger\n\n'],
  },
  {
    title: 'zero-length frame (the linger notice)',
    chunks: [
      'Content-Type: text/disconnect-notice\nContent-Disposition: linger\nLinger-Time: -1\nContent-Length: 0\n\n' +
        'Content-Type: text/disconnect-notice\nContent-Disposition: disconnect\nContent-Length: 4\n\nbye\n',
    ],
  },
  {
    title: 'value containing a second ": "',
    chunks: ['Content-Type: command/reply\nReply-Text: +OK Job-UUID: 4b9d0682-4dc3-44e7-bd75-8e1f87c645fb\n\n'],
  },
]

for (const { title, chunks } of cases) {
  console.log(`\n## ${title}`)
  console.log('esl-lite FreeSwitchParser:', JSON.stringify(await eslLite(chunks)))
  console.log('router FrameParser:       ', JSON.stringify(ours(chunks)))
}
