/**
 * Whether this copy of the app updates itself. Kept free of Electron so it is tested on Node.
 *
 * Self-update (electron-updater, from the GitHub release feed) is on for the installers that can
 * replace themselves: Windows NSIS, macOS (from the zip next to the dmg) and the Linux AppImage.
 * It is off for deb and rpm installs — the system package manager owns those files, and a
 * self-update would need root — and whenever the app is not a packaged build.
 */
import fs from 'node:fs';
import path from 'node:path';

/** What the updater needs to know about the running app. */
export interface UpdateEnvironment {
  /** Electron's `app.isPackaged`. */
  isPackaged: boolean;
  platform: NodeJS.Platform;
  /** Electron's `process.resourcesPath`: where electron-builder puts app-update.yml and package-type. */
  resourcesPath: string;
  /** Environment variables (APPIMAGE is set by the AppImage runtime). */
  env: NodeJS.ProcessEnv;
}

/** Linux package formats whose installs the system package manager owns. */
const SYSTEM_PACKAGES = new Set(['deb', 'rpm', 'pacman']);

/** The package format electron-builder recorded for a Linux install (deb, rpm…), if any. */
export function linuxPackageType(resourcesPath: string): string | null {
  try {
    return fs.readFileSync(path.join(resourcesPath, 'package-type'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Why self-update is off in this environment, in the operator's words; null when it is on. */
export function updatesOffReason(environment: UpdateEnvironment): string | null {
  if (!environment.isPackaged) return 'this is not an installed build (development or npm start)';
  if (environment.env.SYNOS_DISABLE_UPDATES === '1') return 'turned off by SYNOS_DISABLE_UPDATES=1';
  if (environment.platform === 'linux') {
    const packageType = linuxPackageType(environment.resourcesPath);
    if (packageType && SYSTEM_PACKAGES.has(packageType)) {
      return `installed from a .${packageType} package: update it with the system package manager`;
    }
    if (!environment.env.APPIMAGE) return 'on Linux only the AppImage updates itself';
  }
  const feed = path.join(environment.resourcesPath, 'app-update.yml');
  let feedText: string;
  try {
    feedText = fs.readFileSync(feed, 'utf8');
  } catch {
    return 'this build has no update feed (app-update.yml)';
  }
  // electron-builder writes a feed without a provider when it could not tell the GitHub repository.
  if (!/^provider:\s*\S+/m.test(feedText)) return 'the update feed names no provider (build with the repository known)';
  return null;
}
