/**
 * Counts in sentences an operator reads (CLI output, errors, notices, the UI). Pure, so the core and
 * the renderer share it.
 */

/** `1 message`, `5 messages`; `format` writes the number (the UI passes its locale formatter). */
export function plural(count: number, word: string, many = `${word}s`, format: (n: number) => string = String): string {
  return `${format(count)} ${count === 1 ? word : many}`;
}
