import { describe, expect, it } from 'vitest';
import type { Notice } from '../../main/contract';
import { NoticeBoard } from '../../main/core/module';

describe('NoticeBoard', () => {
  it('pushes every notice and keeps the newest 200, oldest first', () => {
    const published: Notice[] = [];
    const board = new NoticeBoard((n) => published.push(n));
    for (let i = 0; i < 250; i++) board.add('info', `test.n${i}`, `notice ${i}`, i % 2 === 0 ? { i } : undefined);
    expect(published).toHaveLength(250);
    const kept = board.list();
    expect(kept).toHaveLength(200);
    expect(kept[0]?.code).toBe('test.n50');
    expect(kept.at(-1)?.code).toBe('test.n249');
    expect(kept[0]?.details).toEqual({ i: 50 });
    expect('details' in (kept[1] as Notice)).toBe(false);
    // The list is a copy: changing it does not change the board.
    kept.length = 0;
    expect(board.list()).toHaveLength(200);
  });
});
