/**
 * Installers (issue 9): electron-builder.yml asks for the right targets, the icon set matches its
 * source, and the packaging check — electron-builder's own file selection, asar and fuses, run
 * offline against a stand-in Electron — passes for the real configuration and fails for broken ones.
 * Needs `npm run build` (the README's test command builds first).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, checkPackaging, PackagingCheckError } from '../../resources/scripts/package-check.mjs';
import { ICNS_ENTRIES, ICO_SIZES, PNG_SIZES } from '../../resources/scripts/generate-icons.mjs';
import { tempDir } from '../harness/temp';

const root = path.resolve(__dirname, '../..');
const configText = fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');

/** electron-builder's own YAML parser (js-yaml), so the test reads the file exactly as it does. */
function loadYaml(text: string): any {
  const fromBuilder = createRequire(
    createRequire(path.join(root, 'package.json')).resolve('app-builder-lib/package.json')
  );
  return (fromBuilder('js-yaml') as { load(text: string): unknown }).load(text);
}

/** A copy of electron-builder.yml whose `files` list is replaced, written outside the project. */
function configWithFiles(patterns: string[]): string {
  const block = /^files:\n(?:(?:[ \t]+.*|[ \t]*)\n)*?(?=^\S)/m;
  expect(configText).toMatch(block);
  const broken = configText.replace(block, `files:\n${patterns.map((p) => `  - '${p}'`).join('\n')}\n\n`);
  const file = path.join(tempDir(), 'electron-builder.broken.yml');
  fs.writeFileSync(file, broken);
  expect(loadYaml(broken).files).toEqual(patterns);
  return file;
}

function pngSize(file: string): [number, number] {
  const data = fs.readFileSync(file);
  expect(data.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [data.readUInt32BE(16), data.readUInt32BE(20)];
}

describe('electron-builder.yml', () => {
  const config = loadYaml(configText);

  it('builds AppImage, deb and rpm; NSIS for x64 and arm64; dmg for x64 and arm64', () => {
    expect(config.appId).toMatch(/^[a-z0-9.]+$/);
    expect(config.productName).toBe('Syn_OS Control Center');
    expect(config.linux.target).toEqual(['AppImage', 'deb', 'rpm']);
    expect(config.win.target).toContainEqual({ target: 'nsis', arch: ['x64', 'arm64'] });
    expect(config.mac.target).toContainEqual({ target: 'dmg', arch: ['x64', 'arm64'] });
    // electron-updater installs macOS updates from the zip.
    expect(config.mac.target).toContainEqual({ target: 'zip', arch: ['x64', 'arm64'] });
    for (const icon of [config.linux.icon, config.win.icon, config.mac.icon]) {
      expect(fs.existsSync(path.join(root, config.directories.buildResources, icon))).toBe(true);
    }
  });

  it('associates .ndjson recordings, unpacks the native module, sets the fuses and publishes to GitHub', () => {
    expect(config.fileAssociations).toContainEqual(
      expect.objectContaining({ ext: 'ndjson', mimeType: 'application/x-ndjson' })
    );
    expect(config.asarUnpack).toContain('**/*.node');
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true
    });
    expect(config.publish).toMatchObject({ provider: 'github' });
    const included = config.files.filter((p: string) => !p.startsWith('!') && !p.includes('node_modules'));
    expect(included).toEqual(['out/main/**', 'out/preload/**', 'out/renderer/**']);
  });
});

describe('icons generated from resources/icon.svg', () => {
  it('has every PNG size from 16 to 1024, an .ico up to 256 and an .icns up to 1024', () => {
    for (const size of PNG_SIZES) {
      expect(pngSize(path.join(root, `resources/icons/png/${size}x${size}.png`))).toEqual([size, size]);
    }
    const ico = fs.readFileSync(path.join(root, 'resources/icons/icon.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, ICO_SIZES.length]);
    const icoWidths = ICO_SIZES.map((_, i) => ico[6 + i * 16] || 256);
    expect(icoWidths).toEqual(ICO_SIZES);
    const icns = fs.readFileSync(path.join(root, 'resources/icons/icon.icns'));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4))
      types.push(icns.subarray(at, at + 4).toString('ascii'));
    expect(types).toEqual(ICNS_ENTRIES.map(([type]) => type));
  });

  it('is up to date with the SVG (regenerate with npm run icons)', () => {
    const result = spawnSync(process.execPath, [path.join(root, 'resources/scripts/generate-icons.mjs'), '--check'], {
      encoding: 'utf8'
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('packaging check (electron-builder with a stand-in Electron, offline)', () => {
  beforeAll(() => {
    // Fails with "run npm run build first" rather than checking nothing.
    assertBuilt(root);
  });

  it('packs the built app and production dependencies only, unpacks better-sqlite3 and sets the fuses', async () => {
    const report = await checkPackaging({ root });
    console.log(
      `[packaging check] ${report.entryCount} entries, app.asar ${report.asarBytes} bytes, ${report.durationMs} ms`
    );
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const entries = new Set(report.entries);
    for (const entry of [
      'package.json',
      'out/main/index.js',
      'out/renderer/index.html',
      'node_modules/better-sqlite3/package.json'
    ]) {
      expect(entries.has(entry), entry).toBe(true);
    }
    expect(report.entries.some((e) => e.startsWith('out/preload/') && /\.c?js$/.test(e))).toBe(true);
    expect(report.entries.some((e) => /^out\/renderer\/assets\/.+\.js$/.test(e))).toBe(true);
    expect(report.entries.filter((e) => /^(main|preload|renderer|test|resources|\.ci)(\/|$)/.test(e))).toEqual([]);
    expect(
      report.entries.filter((e) =>
        /^node_modules\/(electron|electron-builder|vitest|typescript|react|@electron\/asar)\//.test(e)
      )
    ).toEqual([]);
    expect(report.fuses).toMatchObject({
      RunAsNode: '0',
      EnableCookieEncryption: '1',
      EnableEmbeddedAsarIntegrityValidation: '1',
      OnlyLoadAppFromAsar: '1'
    });
    expect(report.log).not.toMatch(/download/i);
  });

  it('fails (exit 1) when `files` lets sources, tests and dev files in', () => {
    const config = configWithFiles(['**/*']);
    const result = spawnSync(
      process.execPath,
      [path.join(root, 'resources/scripts/package-check.mjs'), '--config', config],
      {
        cwd: root,
        encoding: 'utf8'
      }
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Packaging check FAILED');
    expect(result.stderr).toMatch(/TypeScript sources packed \(\d+\): .*main\//);
    expect(result.stderr).toMatch(/test files packed \(\d+\): .*test/);
    expect(result.stderr).toMatch(/not part of the desktop app \(\d+\): .*out\/cli/);
  });

  it('fails when `files` leaves out the preload and the renderer', async () => {
    const report = await checkPackaging({ root, configFile: configWithFiles(['out/main/**', '!**/*.map']) });
    expect(report.ok).toBe(false);
    expect(report.problems).toContain('missing built file out/renderer/index.html');
    expect(report.problems.some((p) => p.startsWith('missing built file out/preload/'))).toBe(true);
  });

  it('refuses to run without a build and says to run npm run build', async () => {
    const unbuilt = tempDir();
    fs.copyFileSync(path.join(root, 'package.json'), path.join(unbuilt, 'package.json'));
    fs.copyFileSync(path.join(root, 'electron-builder.yml'), path.join(unbuilt, 'electron-builder.yml'));
    await expect(checkPackaging({ root: unbuilt })).rejects.toThrow(PackagingCheckError);
    await expect(checkPackaging({ root: unbuilt })).rejects.toThrow(/npm run build/);
  });
});
