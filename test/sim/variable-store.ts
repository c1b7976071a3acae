/**
 * A channel's variables as FreeSWITCH keeps them: an ordered list where a set
 * deletes then appends (so a changed variable moves to the end), an empty set
 * deletes, and a push turns a variable into an array in place
 * (`originated_legs` after a second bridge). Values are byte strings.
 */
export type VariableValue = string | readonly string[]

export class VariableStore {
  private readonly entries: Array<[string, VariableValue]> = []

  constructor(initial: ReadonlyArray<readonly [string, VariableValue]> = []) {
    for (const [name, value] of initial) this.entries.push([name, value])
  }

  /** The value; for an array, its first element (what switch_channel_get_variable returns). */
  get(name: string): string | undefined {
    const value = this.entries.find(([key]) => key === name)?.[1]
    if (value === undefined) return undefined
    return typeof value === 'string' ? value : value[0]
  }

  has(name: string): boolean {
    return this.entries.some(([key]) => key === name)
  }

  set(name: string, value: VariableValue | undefined): void {
    this.delete(name)
    if (value !== undefined && value !== '' && value.length > 0) this.entries.push([name, value])
  }

  push(name: string, value: string): void {
    const entry = this.entries.find(([key]) => key === name)
    if (!entry) {
      this.entries.push([name, value])
      return
    }
    entry[1] = typeof entry[1] === 'string' ? [entry[1], value] : [...entry[1], value]
  }

  delete(name: string): void {
    const index = this.entries.findIndex(([key]) => key === name)
    if (index !== -1) this.entries.splice(index, 1)
  }

  list(): ReadonlyArray<readonly [string, VariableValue]> {
    return this.entries
  }

  snapshot(): Map<string, VariableValue> {
    return new Map(this.entries.map(([name, value]) => [name, typeof value === 'string' ? value : [...value]]))
  }
}

/** FreeSWITCH's plain-text form of an array value. */
export function arrayToPlain(values: readonly string[]): string {
  return `ARRAY::${values.join('|:')}`
}
