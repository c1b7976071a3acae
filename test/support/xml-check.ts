/**
 * A small XML well-formedness check for the FreeSWITCH files we ship (no
 * dependency for it): balanced tags, quoted attributes, no stray `<` or `&`.
 * Returns the first problem, or undefined.
 */
const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/?[^>]*>|[^<]+/g
const OPEN = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>$/
const CLOSE = /^<\/([A-Za-z_][\w.:-]*)\s*>$/
const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/

export function xmlProblem(text: string): string | undefined {
  const stack: string[] = []
  let roots = 0
  for (const match of text.matchAll(TOKEN)) {
    const token = match[0]
    const at = `at offset ${match.index}`
    if (token.startsWith('<!--') || token.startsWith('<?')) continue
    if (token.startsWith('</')) {
      const close = CLOSE.exec(token)
      if (!close) return `malformed closing tag ${token} ${at}`
      const open = stack.pop()
      if (open !== close[1]) return `</${close[1]}> closes <${open ?? 'nothing'}> ${at}`
      continue
    }
    if (token.startsWith('<')) {
      const open = OPEN.exec(token)
      if (!open) return `malformed tag ${token.slice(0, 60)} ${at}`
      if (stack.length === 0) roots++
      if (open[3] !== '/') stack.push(open[1] as string)
      continue
    }
    if (ENTITY.test(token)) return `bare & in text ${at}`
    if (stack.length === 0 && token.trim() !== '') return `text outside the root element ${at}`
  }
  if (stack.length > 0) return `<${stack.at(-1)}> is never closed`
  if (roots !== 1) return `${roots} root elements`
  return undefined
}
