import os from 'node:os';
import path from 'node:path';

export const DATA_DIR_NAME = 'synos-control-center';
export const DATABASE_FILE = 'synos.db';
export const CONFIG_FILE = 'config.json';

/**
 * The data directory for CLI and web mode when --data is not given:
 * $XDG_DATA_HOME/synos-control-center on Linux, the OS equivalent elsewhere.
 * (The desktop uses Electron's userData instead.)
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32') {
    return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), DATA_DIR_NAME);
  }
  if (platform === 'darwin') {
    return path.join(os.homedir(), 'Library', 'Application Support', DATA_DIR_NAME);
  }
  const xdg = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : null;
  return path.join(xdg ?? path.join(os.homedir(), '.local', 'share'), DATA_DIR_NAME);
}
