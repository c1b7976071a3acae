/**
 * A URL template for people to read: like the logs' masking (credentials
 * removed, each query value replaced by its length), except that a value
 * which is only a placeholder (`{callerid}`) stays as written: it is not a
 * secret, and it is what the reader needs to see.
 */
import { maskUrlTemplate } from '../config/webhook-config.ts'

const PLACEHOLDER = /^\{(?:code|did|callerid|callername|uuid)\}$/

export function shownTemplate(template: string): string {
  const question = template.indexOf('?')
  if (question === -1) return maskUrlTemplate(template)
  const base = maskUrlTemplate(template.slice(0, question))
  const query = template
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=')
      if (equals === -1) return pair === '' ? '' : `${pair.slice(0, 40)}`
      const value = pair.slice(equals + 1)
      return `${pair.slice(0, Math.min(equals, 40))}=${PLACEHOLDER.test(value) ? value : `<${value.length}>`}`
    })
    .join('&')
  return `${base}?${query}`
}
