import { describe, expect, it } from 'vitest';
import { suggestedFileName } from '../../main/nats/buckets/object-files';
import { digestBytes } from '../../main/nats/buckets/objects';

describe('suggestedFileName (the desktop save dialog and the web download name)', () => {
  it('keeps the last path segment of an object name', () => {
    expect(suggestedFileName('reports/2026/q1.pdf')).toBe('q1.pdf');
    expect(suggestedFileName('C:\\temp\\x.bin')).toBe('x.bin');
    expect(suggestedFileName('plain.txt')).toBe('plain.txt');
  });
  it('never suggests a path, a dot name, an empty name or control characters', () => {
    expect(suggestedFileName('../../etc/passwd')).toBe('passwd');
    expect(suggestedFileName('..')).toBe('object');
    expect(suggestedFileName('a/b/')).toBe('b');
    expect(suggestedFileName('///')).toBe('object');
    expect(suggestedFileName('bad\u0000name\u001f?.txt')).toBe('bad_name__.txt');
    expect(suggestedFileName('x'.repeat(500))).toHaveLength(200);
  });
});

describe('digestBytes', () => {
  it('reads the obj client digest form, padded or not', () => {
    const bytes = Buffer.alloc(32, 7);
    const padded = `SHA-256=${bytes.toString('base64url')}=`;
    expect(digestBytes(padded)?.equals(bytes)).toBe(true);
    expect(digestBytes(`SHA-256=${bytes.toString('base64url')}`)?.equals(bytes)).toBe(true);
    expect(digestBytes('MD5=abc')).toBeNull();
  });
});
