import { describe, expect, it } from 'vitest';
import { HeadersInputSchema } from '../../main/contract/messaging';
import { headerNameIssue, parseHeaderLines } from '../../main/contract/header-lines';

describe('parseHeaderLines (the Messages view headers editor)', () => {
  it('reads Name: value lines, skips blank lines, and gives a repeated name several values in order', () => {
    const parsed = parseHeaderLines(
      'X-Trace-Id: abc123\n\n  X-Tag: first \r\nX-Tag: second\nEmpty:\nUrl: http://a:80/b'
    );
    expect(parsed).toEqual({
      ok: true,
      headers: { 'X-Trace-Id': ['abc123'], 'X-Tag': ['first', 'second'], Empty: [''], Url: ['http://a:80/b'] }
    });
    // What the editor produces is what the contract accepts.
    expect(parsed.ok && HeadersInputSchema.safeParse(parsed.headers).success).toBe(true);
  });

  it('gives no headers for an empty or blank text', () => {
    expect(parseHeaderLines('')).toEqual({ ok: true, headers: undefined });
    expect(parseHeaderLines(' \n\n ')).toEqual({ ok: true, headers: undefined });
  });

  it('names the line and the reason of the first malformed line', () => {
    expect(parseHeaderLines('A: 1\n\nno colon here')).toEqual({
      ok: false,
      line: 3,
      message: 'Header line 3: needs the form Name: value'
    });
    expect(parseHeaderLines(': value')).toMatchObject({
      ok: false,
      line: 1,
      message: 'Header line 1: the name before the colon is empty'
    });
    const spaced = parseHeaderLines('A: 1\nBad Name: x');
    expect(spaced).toMatchObject({ ok: false, line: 2 });
    expect(!spaced.ok && spaced.message).toContain('"Bad Name" is not a valid header name: it contains a space');
    expect(!spaced.ok && spaced.message).toContain("use letters, digits and ! # $ % & ' * + - . ^ _ ` | ~");
  });

  it('accepts HTTP tokens and refuses separators such as ( ) / @ " and non-ASCII', () => {
    for (const ok of ['Nats-Msg-Id', 'x_y.z', "a!#$%&'*+-.^_`|~9"]) expect(headerNameIssue(ok)).toBeNull();
    for (const [bad, shown] of [
      ['X(1)', '"("'],
      ['a/b', '"/"'],
      ['mail@x', '"@"'],
      ['q"', '"""'],
      ['Grüße', '"ü"'],
      ['tab\there', 'a blank']
    ]) {
      expect(headerNameIssue(bad)).toContain(`it contains ${shown}`);
    }
    expect(headerNameIssue('x'.repeat(257))).toBe('the name is longer than 256 characters');
  });

  it('keeps to the contract limits: 64 values a name', () => {
    const many = Array.from({ length: 65 }, (_, i) => `Multi: ${i}`).join('\n');
    expect(parseHeaderLines(many)).toMatchObject({
      ok: false,
      line: 65,
      message: 'Header line 65: Multi has more than 64 values'
    });
  });
});
