#!/usr/bin/env node
/**
 * Renders resources/icon.svg (the one icon source) into every icon the installers need:
 *
 *   resources/icons/png/<N>x<N>.png  Linux icon set (AppImage, deb, rpm desktop entries), 16…1024
 *   resources/icons/icon.png          1024 px, used for the window icon on Linux
 *   resources/icons/icon.ico          Windows (PNG-compressed entries 16…256)
 *   resources/icons/icon.icns         macOS (PNG entries 16…1024, including the @2x slots)
 *
 * The .ico and .icns containers are written here in plain code rather than by electron-builder:
 * electron-builder 26 converts icons with a toolset it downloads from GitHub, and packaging must
 * work offline. The generated files are committed, so packaging itself never needs the rasterizer.
 *
 * Usage: node resources/scripts/generate-icons.mjs          (write the icons)
 *        node resources/scripts/generate-icons.mjs --check  (exit 1 when the committed icons are stale)
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sourceSvg = join(root, 'resources', 'icon.svg');
const iconsDir = join(root, 'resources', 'icons');

/** Sizes of the Linux icon set (freedesktop hicolor sizes plus the large ones). */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
/** Windows shows 16–48 in lists and 256 in large views; every entry is PNG-compressed. */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** macOS icns element types that hold PNG data, with their pixel size. */
export const ICNS_ENTRIES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024], // 512@2x
  ['ic11', 32], // 16@2x
  ['ic12', 64], // 32@2x
  ['ic13', 256], // 128@2x
  ['ic14', 512] // 256@2x
];

/** Builds a Windows .ico whose entries are whole PNG files (supported since Windows Vista). */
export function buildIco(pngsBySize) {
  const sizes = [...pngsBySize.keys()].sort((a, b) => a - b);
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(sizes.length, 4);
  const directory = Buffer.alloc(16 * sizes.length);
  let offset = header.length + directory.length;
  sizes.forEach((size, i) => {
    const png = pngsBySize.get(size);
    const at = i * 16;
    directory.writeUInt8(size >= 256 ? 0 : size, at); // 0 means 256
    directory.writeUInt8(size >= 256 ? 0 : size, at + 1);
    directory.writeUInt8(0, at + 2); // no palette
    directory.writeUInt8(0, at + 3); // reserved
    directory.writeUInt16LE(1, at + 4); // colour planes
    directory.writeUInt16LE(32, at + 6); // bits per pixel
    directory.writeUInt32LE(png.length, at + 8);
    directory.writeUInt32LE(offset, at + 12);
    offset += png.length;
  });
  return Buffer.concat([header, directory, ...sizes.map((size) => pngsBySize.get(size))]);
}

/** Builds a macOS .icns from PNG data: 'icns' + total length, then (type, length, data) elements. */
export function buildIcns(pngsBySize) {
  const elements = ICNS_ENTRIES.map(([type, size]) => {
    const png = pngsBySize.get(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(elements);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

async function renderAll() {
  // Imported lazily: only regenerating needs the rasterizer (a devDependency).
  const { Resvg } = await import('@resvg/resvg-js');
  const svg = readFileSync(sourceSvg);
  const pngs = new Map();
  for (const size of PNG_SIZES) {
    const rendered = new Resvg(svg, { fitTo: { mode: 'width', value: size }, background: 'rgba(0,0,0,0)' }).render();
    pngs.set(size, Buffer.from(rendered.asPng()));
  }
  const files = new Map();
  for (const size of PNG_SIZES) files.set(join(iconsDir, 'png', `${size}x${size}.png`), pngs.get(size));
  files.set(join(iconsDir, 'icon.png'), pngs.get(1024));
  files.set(join(iconsDir, 'icon.ico'), buildIco(new Map(ICO_SIZES.map((s) => [s, pngs.get(s)]))));
  files.set(join(iconsDir, 'icon.icns'), buildIcns(pngs));
  return files;
}

async function main() {
  const check = process.argv.includes('--check');
  const files = await renderAll();
  const stale = [];
  for (const [file, data] of files) {
    if (check) {
      if (!existsSync(file) || !readFileSync(file).equals(data)) stale.push(relative(root, file));
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
  if (check && stale.length > 0) {
    console.error(`Icons are out of date with resources/icon.svg: ${stale.join(', ')}. Run: npm run icons`);
    process.exit(1);
  }
  console.log(check ? 'Icons are up to date.' : `Wrote ${files.size} icon files to ${relative(root, iconsDir)}/`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`Icon generation failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
