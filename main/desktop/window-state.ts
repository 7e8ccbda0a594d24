import fs from 'node:fs';
import path from 'node:path';
import { screen, type BrowserWindow, type Rectangle } from 'electron';

interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

const DEFAULT: WindowState = { bounds: { x: 0, y: 0, width: 1280, height: 820 }, maximized: false };

/** Restores the last window size and position when it is still on a connected display. */
export function loadWindowState(dataDir: string): WindowState & { positioned: boolean } {
  try {
    const saved = JSON.parse(fs.readFileSync(path.join(dataDir, 'window-state.json'), 'utf8')) as WindowState;
    const visible = screen.getAllDisplays().some((d) => {
      const a = d.workArea;
      const b = saved.bounds;
      return b.x < a.x + a.width && b.x + b.width > a.x && b.y < a.y + a.height && b.y + b.height > a.y;
    });
    if (visible && saved.bounds.width >= 400 && saved.bounds.height >= 300) return { ...saved, positioned: true };
  } catch {
    // first start, or an unreadable file: use the defaults
  }
  return { ...DEFAULT, positioned: false };
}

export function trackWindowState(window: BrowserWindow, dataDir: string): void {
  let timer: NodeJS.Timeout | null = null;
  const save = (): void => {
    if (window.isDestroyed()) return;
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    try {
      fs.writeFileSync(path.join(dataDir, 'window-state.json'), JSON.stringify(state));
    } catch {
      // not worth bothering the operator about
    }
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  window.on('resize', schedule);
  window.on('move', schedule);
  window.on('close', save);
}
