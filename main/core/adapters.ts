/**
 * What the core needs from its host and cannot do itself. The desktop shell passes Electron-backed
 * implementations; headless runs get the defaults (key-file secrets, no notifications).
 */
import type { SecretStore } from './secrets';

export interface DesktopNotification {
  title: string;
  body: string;
  severity: 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
}

export interface Notifier {
  notify(notification: DesktopNotification): void;
}

export interface HostAdapters {
  secrets?: SecretStore;
  notifier?: Notifier;
}
