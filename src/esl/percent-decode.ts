/**
 * FreeSWITCH percent-encodes header values byte by byte (`switch_url_encode`),
 * so a decoded value may be any byte sequence, UTF-8 or not. These helpers take
 * header values as the parser keeps them (latin1 strings: one char per byte)
 * and never throw, unlike `decodeURIComponent`.
 */

const HEX: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < 10; i++) table[48 + i] = i
  for (let i = 0; i < 6; i++) {
    table[65 + i] = 10 + i
    table[97 + i] = 10 + i
  }
  return table
})()

function hexValue(code: number): number {
  return code < 128 ? (HEX[code] ?? -1) : -1
}

/** Decodes `%XX` escapes byte-wise; a malformed escape stays literal; invalid UTF-8 becomes U+FFFD. */
export function percentDecode(raw: string): string {
  const firstPercent = raw.indexOf('%')
  if (firstPercent === -1) return bytesToText(raw)
  const bytes = Buffer.allocUnsafe(raw.length)
  let length = 0
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i)
    if (code === 37 /* % */ && i + 2 < raw.length) {
      const high = hexValue(raw.charCodeAt(i + 1))
      const low = hexValue(raw.charCodeAt(i + 2))
      if (high >= 0 && low >= 0) {
        bytes[length++] = high * 16 + low
        i += 2
        continue
      }
    }
    bytes[length++] = code & 0xff
  }
  return bytes.toString('utf8', 0, length)
}

/** Turns a latin1-held byte string into text (UTF-8, invalid sequences as U+FFFD). */
export function bytesToText(raw: string): string {
  for (let i = 0; i < raw.length; i++) {
    if (raw.charCodeAt(i) > 0x7f) return Buffer.from(raw, 'latin1').toString('utf8')
  }
  return raw
}
