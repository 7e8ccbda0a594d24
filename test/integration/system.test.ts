import { describe, expect, it } from 'vitest';
import type { OpenedFile } from '../../main/contract';
import { getService } from '../../main/core/module';
import { OPENED_FILES_SERVICE, type OpenedFiles } from '../../main/core/system-module';
import { createTestCore } from '../harness/core';

describe('files the OS opens with the app', () => {
  it('are pushed to the UI and handed out once', async () => {
    const core = createTestCore();
    await core.start();
    try {
      const pushed: OpenedFile[] = [];
      core.api.subscribe('system.fileOpened', (f) => pushed.push(f));
      getService<OpenedFiles>(core.context, OPENED_FILES_SERVICE).offer('/tmp/rec.ndjson');
      expect(pushed.map((f) => f.path)).toEqual(['/tmp/rec.ndjson']);
      expect((await core.api.invoke('system.takeOpenedFiles', {})).map((f) => f.path)).toEqual(['/tmp/rec.ndjson']);
      expect(await core.api.invoke('system.takeOpenedFiles', {})).toEqual([]);
    } finally {
      await core.stop();
    }
  });
});
