/**
 * The desktop's native file dialogs for object store transfers: the renderer only asks to "upload
 * into BUCKET" or "download NAME"; the path comes from the operator's choice here, in the main
 * process, never from the renderer. The naming rules are pure (object-files.ts) and tested there.
 */
import { dialog, type BrowserWindow } from 'electron';
import type { FileDialogs } from '../core/adapters';

export function createFileDialogs(getWindow: () => BrowserWindow | null): FileDialogs {
  return {
    async chooseFileToUpload(title) {
      const win = getWindow();
      const options: Electron.OpenDialogOptions = { title, properties: ['openFile'] };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled || r.filePaths.length === 0 ? null : (r.filePaths[0] ?? null);
    },
    async chooseFileToSave(title, suggestedName) {
      const win = getWindow();
      const options: Electron.SaveDialogOptions = { title, defaultPath: suggestedName };
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    }
  };
}
