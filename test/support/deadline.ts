/**
 * Waits with a deadline whose failure names what did not happen, so a test
 * that stalls fails quickly and says why instead of hitting the runner's 60 s.
 */

/**
 * Resolves like `promise`; rejects with "`what` did not happen within `ms` ms" after `ms`.
 * Aborting `cancel` drops the deadline (for a wait raced against something else that won).
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string, cancel?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const stop = (): void => clearTimeout(timer)
  cancel?.addEventListener('abort', stop, { once: true })
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        if (cancel?.aborted) return
        timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)
      }),
    ])
  } finally {
    stop()
    cancel?.removeEventListener('abort', stop)
  }
}

/** Resolves once `predicate` holds (checked every `everyMs`); rejects naming `what` after `ms`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 5): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** Reads until `accept` takes the value read, and resolves with it; rejects naming `what` and the last value after `ms`. */
export async function eventuallyRead<T>(what: string, read: () => Promise<T>, accept: (value: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (accept(value)) return value
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms (last: ${JSON.stringify(value).slice(0, 300)})`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Resolves once the wall clock has reached `time` (Date.now() ms): for a wait the product itself defines, e.g. a cool-down. */
export async function clockAt(time: number): Promise<void> {
  while (Date.now() < time) await new Promise((resolve) => setTimeout(resolve, Math.max(1, time - Date.now())))
}
