/** Small text helpers for messages an operator reads (CLI output, errors, notices). */

/** `1 message`, `5 messages`: counts in sentences read as English. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}
