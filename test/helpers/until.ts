/** Waits until `what()` is true, checking every `everyMs`; throws after `ms` (a bound on waiting, not an assertion on time). */
export async function until(what: () => boolean, ms = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((ok) => setTimeout(ok, everyMs));
  }
}
