import { useEffect, useState } from 'react';
import type { ErrorShape, ObjectEntry, ObjectProgress } from '../../../../main/contract';
import { useClient, useConnection } from '../../client/context';
import { formatBytes, formatPercent } from '../../lib/format';
import { useNotify } from '../../lib/notify';

/** The newest progress report of each transfer this client started. */
export function useTransfers(): Map<string, ObjectProgress> {
  const client = useClient();
  const [transfers, setTransfers] = useState(new Map<string, ObjectProgress>());
  useEffect(
    () =>
      client.subscribe('objects.progress', (payloads) =>
        setTransfers((prev) => {
          const next = new Map(prev);
          for (const p of payloads) next.set(p.transferId, p);
          return next;
        })
      ),
    [client]
  );
  return transfers;
}

export function TransferList({
  transfers,
  local
}: {
  transfers: Map<string, ObjectProgress>;
  local: ObjectProgress | null;
}) {
  const shown = [...transfers.values(), ...(local ? [local] : [])].slice(-5);
  if (shown.length === 0) return null;
  return (
    <ul className="plain" aria-label="Transfers">
      {shown.map((p) => (
        <li key={p.transferId} data-testid="obj-transfer" data-state={p.state}>
          {p.direction === 'upload' ? 'Upload' : 'Download'} of <span className="mono">{p.name}</span>:{' '}
          {formatBytes(p.bytes)}
          {p.total ? ` of ${formatBytes(p.total)} (${formatPercent(p.bytes / Math.max(p.total, 1))})` : ''} —{' '}
          {p.state === 'running' ? 'running' : p.state === 'done' ? 'done, digest checked' : p.state}
          {p.error && <span className="error-note"> {p.error}</span>}
        </li>
      ))}
    </ul>
  );
}

/** Web mode: the browser streams the file to a one-time transfer path (XHR for upload progress). */
function uploadInBrowser(
  path: string,
  file: File,
  onProgress: (bytes: number) => void
): Promise<{ object?: ObjectEntry; error?: ErrorShape }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', path);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      try {
        const body = JSON.parse(xhr.responseText) as { object?: ObjectEntry } & Partial<ErrorShape>;
        resolve(xhr.status === 200 ? { object: body.object } : { error: body as ErrorShape });
      } catch {
        resolve({ error: { code: 'INTERNAL', message: `the upload answered ${xhr.status}` } });
      }
    };
    xhr.onerror = () => resolve({ error: { code: 'TRANSPORT_CLOSED', message: 'the upload connection failed' } });
    xhr.send(file);
  });
}

/**
 * Uploads and downloads of one store's objects, and the error of the last one. Web mode streams
 * through a one-time transfer path (the browser's own download; an upload with progress shown as
 * `local`); the desktop asks the main process, which opens a native file dialog.
 */
export function useObjectTransfer(bucket: string, reload: () => void) {
  const { transport } = useConnection();
  const client = useClient();
  const notify = useNotify();
  const [local, setLocal] = useState<ObjectProgress | null>(null);
  const [transferError, setTransferError] = useState<ErrorShape | null>(null);

  const upload = async (file: File): Promise<void> => {
    setTransferError(null);
    try {
      const ticket = await client.call('objects.transfer', { bucket, name: file.name, direction: 'upload' });
      const r = await uploadInBrowser(ticket.path, file, (bytes) =>
        setLocal({
          transferId: `local-${ticket.transferId}`,
          bucket,
          name: file.name,
          direction: 'upload',
          bytes,
          total: file.size,
          state: 'running',
          error: null
        })
      );
      setLocal(null);
      if (r.error) setTransferError(r.error);
      else notify(`Stored ${file.name} (${formatBytes(r.object?.size ?? file.size)})`);
      reload();
    } catch (error) {
      setLocal(null);
      setTransferError(error as ErrorShape);
    }
  };

  const download = async (name: string): Promise<void> => {
    setTransferError(null);
    try {
      if (transport === 'ipc') {
        const r = await client.call('objects.download', { bucket, name });
        if (!r.cancelled) notify(`Saved ${r.fileName} (${formatBytes(r.bytes)}, digest checked)`);
        return;
      }
      const ticket = await client.call('objects.transfer', { bucket, name, direction: 'download' });
      // The browser streams it to disk itself; progress comes on objects.progress.
      const a = document.createElement('a');
      a.href = ticket.path;
      a.rel = 'noopener';
      a.download = '';
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (error) {
      setTransferError(error as ErrorShape);
    }
  };

  /** Desktop: the main process asks for the file with a native dialog and stores it. */
  const uploadWithDialog = (): void => {
    setTransferError(null);
    void client
      .call('objects.upload', { bucket })
      .then((r) => {
        if (r.object) notify(`Stored ${r.object.name} (${formatBytes(r.object.size)})`);
        reload();
      })
      .catch((error: ErrorShape) => setTransferError(error));
  };

  return { transport, local, transferError, upload, uploadWithDialog, download };
}
