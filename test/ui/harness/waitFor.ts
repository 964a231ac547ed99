// Polling with a deadline and a message that says what was expected and what was seen.
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  describe: () => Promise<string> = async () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    try {
      value = await probe();
    } catch {
      value = undefined;
    }
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const seen = await describe().catch(() => '');
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${seen ? `; saw:\n${seen}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
