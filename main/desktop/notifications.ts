import { Notification } from 'electron';
import type { Notifier } from '../core/adapters';

/** Desktop notifications for ERROR and CRITICAL alerts. */
export function createElectronNotifier(): Notifier {
  return {
    notify({ title, body, severity }) {
      if (!Notification.isSupported()) return;
      new Notification({ title, body, urgency: severity === 'CRITICAL' ? 'critical' : 'normal' }).show();
    }
  };
}
