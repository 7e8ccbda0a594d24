import { describe, expect, it } from 'vitest';
import { createTestCore } from '../harness/core';

describe('the full core', () => {
  it('has a handler for every procedure of the contract', async () => {
    const core = createTestCore();
    try {
      expect(core.unservedMethods).toEqual([]);
    } finally {
      await core.stop();
    }
  });
});
