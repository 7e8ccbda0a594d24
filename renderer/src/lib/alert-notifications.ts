import { useCallback, useEffect, useState } from 'react';
import { ALERT_SEVERITIES, type AlertSeverity } from '../../../main/contract';
import { useClient } from '../client/context';
import { navigate } from './route';

/** Which alert severities raise a system notification; kept in this browser or desktop profile. */
export type NotifySeverities = Record<AlertSeverity, boolean>;

const KEY = 'synos.notify.severities';
const DEFAULTS: NotifySeverities = { INFO: false, WARNING: false, ERROR: false, CRITICAL: true };
const listeners = new Set<() => void>();

export function readNotifySeverities(): NotifySeverities {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<NotifySeverities> | null;
    const out = { ...DEFAULTS };
    for (const s of ALERT_SEVERITIES) if (typeof stored?.[s] === 'boolean') out[s] = stored[s];
    return out;
  } catch {
    return { ...DEFAULTS };
  }
}

export function setNotifySeverity(severity: AlertSeverity, on: boolean): void {
  localStorage.setItem(KEY, JSON.stringify({ ...readNotifySeverities(), [severity]: on }));
  for (const l of listeners) l();
}

/** 'unsupported' when this browser has no Notification API (or the page is not a secure context). */
export type NotifyPermission = NotificationPermission | 'unsupported';

function currentPermission(): NotifyPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** The severities setting and the notification permission, with the actions that change them. */
export function useNotifySettings(): {
  severities: NotifySeverities;
  setSeverity: (s: AlertSeverity, on: boolean) => void;
  permission: NotifyPermission;
  requestPermission: () => Promise<void>;
} {
  const [severities, setSeverities] = useState(readNotifySeverities);
  const [permission, setPermission] = useState<NotifyPermission>(currentPermission);
  useEffect(() => {
    const refresh = (): void => setSeverities(readNotifySeverities());
    listeners.add(refresh);
    return () => {
      listeners.delete(refresh);
    };
  }, []);
  const requestPermission = useCallback(async () => {
    if (typeof Notification === 'undefined') return;
    setPermission(await Notification.requestPermission());
  }, []);
  return { severities, setSeverity: setNotifySeverity, permission, requestPermission };
}

/**
 * Raises a system notification when an alert fires or escalates to a severity the operator chose,
 * once they allowed notifications; clicking it brings the app forward on that alert.
 */
export function useAlertNotifications(): void {
  const client = useClient();
  useEffect(() => {
    // In the desktop app the main process already raises ERROR and CRITICAL alerts as OS
    // notifications; a second one from this window would double them.
    if (window.synos) return;
    return client.subscribe('alerts.transition', (payloads) => {
      if (currentPermission() !== 'granted') return;
      const enabled = readNotifySeverities();
      for (const { transition, alert } of payloads) {
        if (transition.kind !== 'fired' && transition.kind !== 'escalated') continue;
        if (!enabled[transition.severity]) continue;
        const note = new Notification(`${transition.severity} alert: ${alert.rule}`, {
          body: `${alert.target}: ${transition.message}`,
          tag: `synos-alert-${alert.id}`
        });
        note.onclick = () => {
          window.focus();
          navigate('alerts', String(alert.id));
          note.close();
        };
      }
    });
  }, [client]);
}
