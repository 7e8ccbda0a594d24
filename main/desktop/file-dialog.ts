/**
 * The desktop's file dialogs for recordings, kept free of Electron so the decision logic is unit
 * tested on Node: the shell passes Electron's `dialog` (bound to the window) as `DialogApi`.
 *
 * The shell is the trusted side: it shows the dialog, checks what the user chose, registers the
 * path in the core's grants and hands the renderer only the grant id. An import must be a regular
 * file (a FIFO or a device picked by mistake is refused here already); an export gets the format's
 * extension when the user left it out and may not be a directory. The dialog itself asked before
 * replacing an existing file, so an export grant may replace it (atomically, never writing through).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../contract';
import type { FileChoiceRequest, FileChooser } from '../core/adapters';
import type { FileGrants, GrantedFile } from '../core/file-grants';

export interface DialogFilter {
  name: string;
  extensions: string[];
}

/** The part of Electron's `dialog` used here (same option and result shapes). */
export interface DialogApi {
  showOpenDialog(options: {
    title: string;
    defaultPath?: string;
    properties: Array<'openFile'>;
    filters: DialogFilter[];
  }): Promise<{ canceled: boolean; filePaths: string[] }>;
  showSaveDialog(options: {
    title: string;
    defaultPath?: string;
    filters: DialogFilter[];
    properties?: Array<'showOverwriteConfirmation' | 'createDirectory'>;
  }): Promise<{ canceled: boolean; filePath?: string }>;
}

const FILTERS: Record<'ndjson' | 'csv' | 'any', DialogFilter[]> = {
  ndjson: [{ name: 'NDJSON recording', extensions: ['ndjson', 'jsonl'] }],
  csv: [{ name: 'CSV', extensions: ['csv'] }],
  any: [{ name: 'Recordings (NDJSON, CSV)', extensions: ['ndjson', 'jsonl', 'csv'] }]
};

const KEY_DIALOG: Record<NonNullable<FileChoiceRequest['keyKind']>, { title: string; filters: DialogFilter[] }> = {
  creds: { title: 'Choose the NATS credentials file', filters: [{ name: 'NATS credentials', extensions: ['creds'] }] },
  seed: {
    title: 'Choose the nkey seed file',
    filters: [{ name: 'nkey seed', extensions: ['nk', 'nkey', 'seed', 'txt'] }]
  },
  ca: { title: 'Choose the TLS CA file', filters: [{ name: 'PEM certificates', extensions: ['pem', 'crt', 'cer'] }] },
  cert: {
    title: 'Choose the TLS client certificate',
    filters: [{ name: 'PEM certificate', extensions: ['pem', 'crt', 'cer'] }]
  },
  key: { title: 'Choose the TLS client key', filters: [{ name: 'PEM private key', extensions: ['pem', 'key'] }] }
};

/** Decides and registers a dialog's outcome; exported for the tests. */
export async function chooseRecordingFile(
  dialog: DialogApi,
  request: FileChoiceRequest,
  grants: FileGrants,
  options: { defaultDir: string }
): Promise<GrantedFile | null> {
  if (request.purpose === 'import' || request.purpose === 'key') {
    const key = request.purpose === 'key' ? KEY_DIALOG[request.keyKind ?? 'creds'] : null;
    const result = await dialog.showOpenDialog({
      title: key ? key.title : 'Open a recording',
      // Key files live anywhere (~/.nkeys, ~/.config/nats): the dialog opens where the OS likes.
      ...(key ? {} : { defaultPath: options.defaultDir }),
      properties: ['openFile'],
      filters: key ? [...key.filters, { name: 'All files', extensions: ['*'] }] : FILTERS[request.format ?? 'any']
    });
    const chosen = result.canceled ? undefined : result.filePaths[0];
    if (!chosen) return null;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(chosen);
    } catch {
      throw new ContractError('NOT_FOUND', `${path.basename(chosen)} does not exist any more`);
    }
    if (!stat.isFile()) {
      throw new ContractError(
        'FORBIDDEN',
        `${path.basename(chosen)} is not a regular file; only regular files are read`
      );
    }
    return grants.grant(path.resolve(chosen), 'read');
  }
  const format = request.format ?? 'ndjson';
  const result = await dialog.showSaveDialog({
    title: 'Export the recording',
    defaultPath: path.join(options.defaultDir, request.suggestedName ?? `recording.${format}`),
    filters: FILTERS[format],
    properties: ['showOverwriteConfirmation', 'createDirectory']
  });
  if (result.canceled || !result.filePath) return null;
  let chosen = path.resolve(result.filePath);
  if (path.extname(chosen) === '') chosen += `.${format}`;
  try {
    const stat = fs.lstatSync(chosen);
    if (stat.isDirectory()) throw new ContractError('FORBIDDEN', `${path.basename(chosen)} is a folder`);
    if (!stat.isFile() && !stat.isSymbolicLink()) {
      throw new ContractError('FORBIDDEN', `${path.basename(chosen)} is not a regular file; choose another name`);
    }
  } catch (error) {
    if (error instanceof ContractError) throw error;
    // Not there yet: the usual case.
  }
  return grants.grant(chosen, 'write');
}

export function createDialogFileChooser(dialog: DialogApi, options: { defaultDir: () => string }): FileChooser {
  return {
    choose: (request, grants) => chooseRecordingFile(dialog, request, grants, { defaultDir: options.defaultDir() })
  };
}
