/**
 * What the core needs from its host and cannot do itself. The desktop shell passes Electron-backed
 * implementations; headless runs get the defaults (key-file secrets, no notifications).
 */
import type { FileGrants, GrantedFile } from './file-grants';
import type { SecretStore } from './secrets';

export interface DesktopNotification {
  title: string;
  body: string;
  severity: 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
}

export interface Notifier {
  notify(notification: DesktopNotification): void;
}

/** What the user is asked for in a file dialog. */
export interface FileChoiceRequest {
  /** import/export: a recording file; key: a profile's key file (creds, seed, TLS), read at once. */
  purpose: 'import' | 'export' | 'key';
  format?: 'ndjson' | 'csv';
  suggestedName?: string;
  /** For purpose key: which kind of key file. */
  keyKind?: 'creds' | 'seed' | 'ca' | 'cert' | 'key';
}

/**
 * A native file dialog (the desktop shell): shows it, registers the file the user chose in
 * `grants` and returns the grant, or null when the user cancelled.
 */
export interface FileChooser {
  choose(request: FileChoiceRequest, grants: FileGrants): Promise<GrantedFile | null>;
}

/** Native dialogs for object-store transfers (desktop only): a path the operator chose, or null when cancelled. */
export interface FileDialogs {
  chooseFileToUpload(title: string): Promise<string | null>;
  chooseFileToSave(title: string, suggestedName: string): Promise<string | null>;
}

export interface HostAdapters {
  secrets?: SecretStore;
  notifier?: Notifier;
  fileChooser?: FileChooser;
  fileDialogs?: FileDialogs;
}
