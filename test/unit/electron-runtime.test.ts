/**
 * The Node the packaged app runs on is the one Electron embeds: the ABI switch script tells which,
 * and the packaging check fails when package.json engines or the CI matrix stop covering it.
 * (No native module is switched here: these read package.json files only.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  electronEmbeddedNode,
  enginesAdmitMajor,
  runtimeHeadersDir,
  runtimeTarget
} from '../../resources/scripts/native-runtime.mjs';
import { runtimeAgreement } from '../../resources/scripts/package-check.mjs';
import { tempDir } from '../harness/temp';

const root = path.resolve(__dirname, '../..');

function fakeProject(options: { electronTypesNode?: string; engines?: string; ciMajors?: string }): string {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'node_modules/electron'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'node_modules/electron/package.json'),
    JSON.stringify({
      name: 'electron',
      version: '45.5.0',
      dependencies: options.electronTypesNode ? { '@types/node': options.electronTypesNode } : {}
    })
  );
  fs.writeFileSync(path.join(dir, 'node_modules/electron/abi_version'), '150');
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'x', ...(options.engines ? { engines: { node: options.engines } } : {}) })
  );
  if (options.ciMajors) {
    fs.mkdirSync(path.join(dir, '.ci'));
    fs.writeFileSync(path.join(dir, '.ci/platforms.sh'), `  for major in ${options.ciMajors}; do\n`);
  }
  return dir;
}

describe("Electron's own Node", () => {
  it('is Node 24 for the pinned Electron 45, which engines and CI cover', () => {
    const electron = runtimeTarget('electron', root);
    expect(electron.version).toMatch(/^45\./);
    expect(electron.abi).toBe(150);
    expect(electron.embeddedNode).toBe(24);
    expect(electronEmbeddedNode(root)).toBe(24);
    expect(runtimeAgreement(root)).toEqual([]);
  });

  it('reads engines ranges the way npm would for a major', () => {
    expect(enginesAdmitMajor('^20.19.0 || ^22.12.0 || >=24', 20)).toBe(true);
    expect(enginesAdmitMajor('^20.19.0 || ^22.12.0 || >=24', 22)).toBe(true);
    expect(enginesAdmitMajor('^20.19.0 || ^22.12.0 || >=24', 24)).toBe(true);
    expect(enginesAdmitMajor('^20.19.0 || ^22.12.0 || >=24', 23)).toBe(false);
    expect(enginesAdmitMajor('^20.19.0 || ^22.12.0', 24)).toBe(false);
    expect(enginesAdmitMajor('>=20.19 <23', 22)).toBe(true);
    expect(enginesAdmitMajor('>=20.19 <23', 24)).toBe(false);
  });

  it('fails the packaging check when engines or CI leave the embedded Node out', () => {
    expect(runtimeAgreement(fakeProject({ electronTypesNode: '^24.9.0', engines: '>=24', ciMajors: '22 24' }))).toEqual(
      []
    );
    expect(
      runtimeAgreement(
        fakeProject({ electronTypesNode: '^24.9.0', engines: '^20.19.0 || ^22.12.0', ciMajors: '22 24' })
      )
    ).toEqual([
      'Electron 45.5.0 embeds Node 24, which package.json engines.node (^20.19.0 || ^22.12.0) does not admit'
    ]);
    const system = Number(process.versions.node.split('.')[0]);
    const untested = system === 26 ? 28 : 26;
    expect(
      runtimeAgreement(fakeProject({ electronTypesNode: `^${untested}.1.0`, engines: '>=20', ciMajors: '22 24' }))
    ).toEqual([
      `Electron 45.5.0 embeds Node ${untested}, but CI tests on Node ${system}, 22, 24 only (.ci/platforms.sh)`
    ]);
    expect(runtimeAgreement(fakeProject({ engines: '>=20' }))).toEqual([
      'cannot tell which Node Electron 45.5.0 embeds (no @types/node in its package.json)'
    ]);
  });

  it("compiles against the running Node's own headers when its distribution ships them", () => {
    const prefix = tempDir();
    fs.mkdirSync(path.join(prefix, 'include/node'), { recursive: true });
    fs.mkdirSync(path.join(prefix, 'bin'));
    fs.writeFileSync(path.join(prefix, 'include/node/node_version.h'), '');
    expect(runtimeHeadersDir({}, path.join(prefix, 'bin/node'))).toBe(prefix);
    // An npm nodedir setting wins; a Node without headers gets node-gyp's own download.
    expect(runtimeHeadersDir({ npm_config_nodedir: '/elsewhere' }, path.join(prefix, 'bin/node'))).toBeNull();
    expect(runtimeHeadersDir({}, path.join(tempDir(), 'bin/node'))).toBeNull();
  });
});
