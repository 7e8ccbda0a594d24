/**
 * Self-update policy (issue 9): on for NSIS, macOS and the AppImage; off for deb and rpm installs,
 * unpackaged runs and builds without an update feed. Real files in a temp resources folder, laid
 * out as electron-builder writes them (app-update.yml, package-type).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { linuxPackageType, updatesOffReason, type UpdateEnvironment } from '../../main/desktop/update-policy';
import { tempDir } from '../harness/temp';

const FEED =
  'provider: github\nowner: synos\nrepo: control-center\nupdaterCacheDirName: synos-control-center-updater\n';

function resources(files: Record<string, string>): string {
  const dir = tempDir('synos-resources-');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function environment(overrides: Partial<UpdateEnvironment>): UpdateEnvironment {
  return {
    isPackaged: true,
    platform: 'win32',
    resourcesPath: resources({ 'app-update.yml': FEED }),
    env: {},
    ...overrides
  };
}

describe('self-update policy', () => {
  it('is on for installed Windows and macOS builds with a GitHub feed, and for the AppImage', () => {
    expect(updatesOffReason(environment({ platform: 'win32' }))).toBeNull();
    expect(updatesOffReason(environment({ platform: 'darwin' }))).toBeNull();
    expect(
      updatesOffReason(environment({ platform: 'linux', env: { APPIMAGE: '/home/op/Syn_OS.AppImage' } }))
    ).toBeNull();
  });

  it('is off for deb and rpm installs, which the system package manager updates', () => {
    for (const type of ['deb', 'rpm']) {
      const resourcesPath = resources({ 'app-update.yml': FEED, 'package-type': `${type}\n` });
      expect(linuxPackageType(resourcesPath)).toBe(type);
      expect(updatesOffReason(environment({ platform: 'linux', resourcesPath }))).toMatch(
        new RegExp(`\\.${type} package`)
      );
      // Even if APPIMAGE leaks into the environment, the package type decides.
      expect(updatesOffReason(environment({ platform: 'linux', resourcesPath, env: { APPIMAGE: '/x' } }))).toMatch(
        /package manager/
      );
    }
  });

  it('is off when not packaged, when turned off, on other Linux layouts and without a usable feed', () => {
    expect(updatesOffReason(environment({ isPackaged: false }))).toMatch(/not an installed build/);
    expect(updatesOffReason(environment({ env: { SYNOS_DISABLE_UPDATES: '1' } }))).toMatch(/SYNOS_DISABLE_UPDATES/);
    expect(updatesOffReason(environment({ platform: 'linux' }))).toMatch(/only the AppImage/);
    expect(updatesOffReason(environment({ resourcesPath: resources({}) }))).toMatch(/no update feed/);
    const noProvider = resources({ 'app-update.yml': 'updaterCacheDirName: synos-control-center-updater\n' });
    expect(updatesOffReason(environment({ resourcesPath: noProvider }))).toMatch(/names no provider/);
    expect(linuxPackageType(resources({}))).toBeNull();
  });
});
