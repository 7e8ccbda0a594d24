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

describe('start-up settings (durability mode, metrics port)', () => {
  it('are saved to config.json, keep the other keys, and are validated', async () => {
    const { default: fs } = await import('node:fs');
    const { default: path } = await import('node:path');
    const core = createTestCore();
    const file = path.join(core.context.config.dataDir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ log: { level: 'warn' } }));
    await core.start();
    try {
      const before = await core.api.invoke('settings.startup', {});
      expect(before).toMatchObject({ synchronous: 'NORMAL', metricsPort: null, running: { synchronous: 'NORMAL' } });
      const after = await core.api.invoke('settings.setStartup', { synchronous: 'FULL', metricsPort: 9464 });
      expect(after).toMatchObject({ synchronous: 'FULL', metricsPort: 9464, running: { synchronous: 'NORMAL' } });
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
        log: { level: 'warn' },
        database: { synchronous: 'FULL' },
        metricsPort: 9464
      });
      await expect(core.api.call('settings.setStartup', { metricsPort: 70000 })).resolves.toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT' }
      });
    } finally {
      await core.stop();
    }
  });
});
