import { describe, expect, it } from 'vitest';
import type { OpenedFile } from '../../main/contract';
import fs from 'node:fs';
import path from 'node:path';
import { createTestCore } from '../harness/core';
import { tempDir } from '../harness/temp';

describe('files the OS opens with the app', () => {
  it('are pushed to the UI and handed out once', async () => {
    const core = createTestCore();
    await core.start();
    try {
      const pushed: OpenedFile[] = [];
      core.api.subscribe('system.fileOpened', (f) => pushed.push(f));
      // A recording outside the data directory, double-clicked: the UI gets a grant, never the path.
      const file = path.join(tempDir(), 'rec.ndjson');
      fs.writeFileSync(
        file,
        JSON.stringify({
          subject: 'opened.x',
          payload: 'hi',
          encoding: 'utf8',
          time: '2026-01-01T00:00:00Z',
          seq: null
        }) + '\n'
      );
      core.app.system.openedFiles.offer(file);
      expect(pushed).toEqual([
        { name: 'rec.ndjson', grant: expect.stringMatching(/^[\w-]{16,}$/), time: expect.any(String) }
      ]);
      expect(JSON.stringify(pushed)).not.toContain(path.dirname(file));
      const taken = await core.api.invoke('system.takeOpenedFiles', {});
      expect(taken).toEqual(pushed);
      expect(await core.api.invoke('system.takeOpenedFiles', {})).toEqual([]);
      // The grant opens that one file for reading, and only for reading.
      const imported = await core.api.invoke('recordings.import', { grant: taken[0]!.grant });
      expect(imported).toMatchObject({ name: 'rec.ndjson', messageCount: 1, source: 'import' });
      const write = await core.api
        .invoke('recordings.export', { recordingId: imported.id, grant: taken[0]!.grant })
        .catch((e: unknown) => e);
      expect(write).toMatchObject({ code: 'FORBIDDEN' });
      const unknown = await core.api.invoke('recordings.import', { grant: 'x'.repeat(24) }).catch((e: unknown) => e);
      expect(unknown).toMatchObject({ code: 'NOT_FOUND' });
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
