/**
 * Builds every frame the router sends. FreeSWITCH ends a header line at the
 * first CR or LF and copies bodies as C strings, so nothing here lets CR, LF
 * or NUL into a command line or header, and no body carries NUL. Application
 * arguments travel as a `text/plain` body with their byte length.
 */
import { EslError } from '../errors.ts'

type Header = readonly [name: string, value: string]

const LINE_BREAK_OR_NUL = /[\r\n\0]/
const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]*$/
const APP_NAME = /^[A-Za-z][A-Za-z0-9_]*$/
const API_COMMAND = /^[A-Za-z][A-Za-z0-9_]*$/
const HANGUP_CAUSE = /^[A-Z][A-Z0-9_]*$/

function invalid(message: string): EslError {
  return new EslError('invalid_argument', message)
}

/** The one function that serialises a frame: command line, headers, optional body. */
export function buildFrame(commandLine: string, headers: readonly Header[] = [], body?: string): Buffer | EslError {
  if (commandLine === '' || LINE_BREAK_OR_NUL.test(commandLine)) {
    return invalid('a command line may not be empty or contain CR, LF or NUL')
  }
  let text = `${commandLine}\n`
  for (const [name, value] of headers) {
    if (!HEADER_NAME.test(name)) return invalid(`bad header name ${JSON.stringify(name)}`)
    if (LINE_BREAK_OR_NUL.test(value)) return invalid(`header ${name} may not contain CR, LF or NUL`)
    text += `${name}: ${value}\n`
  }
  if (body === undefined || body === '') return Buffer.from(`${text}\n`, 'utf8')
  if (body.includes('\0')) return invalid('a body may not contain NUL (FreeSWITCH would cut it there)')
  return Buffer.from(`${text}content-length: ${Buffer.byteLength(body, 'utf8')}\n\n${body}`, 'utf8')
}

export function connectCommand(): Buffer | EslError {
  return buildFrame('connect')
}

export function myEventsCommand(): Buffer | EslError {
  return buildFrame('myevents json')
}

/** `linger N`: FreeSWITCH keeps sending events for N seconds after the hang-up, then closes. */
export function lingerCommand(seconds: number): Buffer | EslError {
  if (!Number.isInteger(seconds) || seconds < 1) return invalid('linger seconds must be a positive integer')
  return buildFrame(`linger ${seconds}`)
}

export function exitCommand(): Buffer | EslError {
  return buildFrame('exit')
}

/** `sendmsg` execute with event-lock (queued executes run in order) and our Event-UUID. */
export function executeCommand(app: string, arg: string, eventUuid: string): Buffer | EslError {
  if (!APP_NAME.test(app)) return invalid(`bad application name ${JSON.stringify(app)}`)
  const headers: Header[] = [
    ['call-command', 'execute'],
    ['execute-app-name', app],
    ['event-lock', 'true'],
    ['Event-UUID', eventUuid],
  ]
  if (arg !== '') headers.push(['content-type', 'text/plain'])
  return buildFrame('sendmsg', headers, arg)
}

export function hangupCommand(cause: string): Buffer | EslError {
  if (!HANGUP_CAUSE.test(cause)) return invalid(`bad hangup cause ${JSON.stringify(cause)}`)
  return buildFrame('sendmsg', [
    ['call-command', 'hangup'],
    ['hangup-cause', cause],
  ])
}

/** `api CMD ARGS`: the arguments share the command line, so they are checked like a header. */
export function apiCommand(command: string, args: string): Buffer | EslError {
  if (!API_COMMAND.test(command)) return invalid(`bad api command ${JSON.stringify(command)}`)
  return buildFrame(args === '' ? `api ${command}` : `api ${command} ${args}`)
}

export function bgapiCommand(command: string, args: string, jobUuid: string): Buffer | EslError {
  if (!API_COMMAND.test(command)) return invalid(`bad api command ${JSON.stringify(command)}`)
  return buildFrame(args === '' ? `bgapi ${command}` : `bgapi ${command} ${args}`, [['Job-UUID', jobUuid]])
}
