import { useRef, useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote } from '../../components/ErrorNote';
import { ViewHeader } from '../../components/ViewHeader';
import { useAction, useQuery } from '../../client/context';
import { useNotify } from '../../lib/notify';
import { hrefOf, navigate } from '../../lib/route';
import { BucketCard, BucketSize, maxBytesText, replicasText, ttlText } from '../bucket-card';
import { ObjectDetail } from './object-detail';
import { ObjectTable } from './object-table';
import { TransferList, useObjectTransfer, useTransfers } from './transfers';

/**
 * One object store: its status with upload, seal and delete; its objects; the chosen object. Seal,
 * store deletion and object deletion are confirmed (the first two by typing the store's name).
 */
export function StorePage({ bucket }: { bucket: string }) {
  const info = useQuery('objects.info', { bucket });
  const objects = useQuery('objects.objects', { bucket });
  const transfers = useTransfers();
  const notify = useNotify();
  const seal = useAction('objects.seal');
  const rm = useAction('objects.rm');
  const del = useAction('objects.delete');
  const [selected, setSelected] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'seal' | 'rm' | 'delete' | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const b = info.data?.bucket;
  const offline = Boolean(info.data?.cached || objects.data?.cached);
  const current = objects.data?.objects.find((o) => o.name === selected) ?? null;
  const reload = (): void => {
    info.reload();
    objects.reload();
  };
  const { transport, local, transferError, upload, uploadWithDialog, download } = useObjectTransfer(bucket, reload);

  return (
    <section>
      <ViewHeader title="Object Stores">
        <a href={hrefOf('objects')}>All object stores</a>
      </ViewHeader>
      <BucketCard
        title="Store"
        name={bucket}
        loadingText="Loading the store…"
        info={info}
        facts={(b) => (
          <>
            <dt>Size</dt>
            <dd>
              <BucketSize bucket={b} />
            </dd>
            <dt>Max bytes</dt>
            <dd>{maxBytesText(b)}</dd>
            <dt>TTL</dt>
            <dd>{ttlText(b)}</dd>
            <dt>Storage</dt>
            <dd>
              {b.storage}, {replicasText(b)}
            </dd>
            <dt>Sealed</dt>
            <dd data-testid="obj-sealed">{b.sealed ? 'yes: nothing can change any more' : 'no'}</dd>
            {b.description && (
              <>
                <dt>Description</dt>
                <dd>{b.description}</dd>
              </>
            )}
          </>
        )}
        actions={(b) => (
          <>
            <input
              ref={fileInput}
              type="file"
              hidden
              aria-label="File to upload"
              onChange={(e) => {
                const file = e.target.files?.[0];
                e.target.value = '';
                if (file) void upload(file);
              }}
            />
            <button
              type="button"
              disabled={offline || b.sealed}
              onClick={() => {
                if (transport === 'ipc') uploadWithDialog();
                else fileInput.current?.click();
              }}
            >
              Upload a file…
            </button>
            <button type="button" className="danger" disabled={offline || b.sealed} onClick={() => setConfirm('seal')}>
              Seal…
            </button>
            <button type="button" className="danger" disabled={offline} onClick={() => setConfirm('rm')}>
              Delete store…
            </button>
          </>
        )}
      >
        <ErrorNote error={transferError ?? seal.error ?? rm.error} />
        <TransferList transfers={transfers} local={local} />
      </BucketCard>
      <div className="split">
        <ObjectTable bucket={bucket} objects={objects} selected={selected} onSelect={setSelected} />
        <ObjectDetail
          current={current}
          offline={offline}
          sealed={b?.sealed}
          error={del.error}
          onDownload={(name) => void download(name)}
          onDelete={() => setConfirm('delete')}
        />
      </div>
      {confirm && (
        <ConfirmDialog
          title={
            confirm === 'seal'
              ? `Seal ${bucket}?`
              : confirm === 'rm'
                ? `Delete object store ${bucket}?`
                : `Delete ${selected ?? ''}?`
          }
          confirmLabel={confirm === 'seal' ? 'Seal' : 'Delete'}
          {...(confirm === 'delete' ? {} : { typeToConfirm: bucket })}
          busy={seal.pending || rm.pending || del.pending}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            const done = (ok: unknown, text: string): void => {
              setConfirm(null);
              if (!ok) return;
              notify(text);
              reload();
            };
            if (confirm === 'seal') void seal.run({ bucket, confirm: true }).then((r) => done(r, `Sealed ${bucket}`));
            else if (confirm === 'rm')
              void rm.run({ bucket, confirm: true }).then((r) => {
                setConfirm(null);
                if (r) navigate('objects');
              });
            else if (selected)
              void del.run({ bucket, name: selected, confirm: true }).then((r) => {
                if (r) setSelected(null);
                done(r, `Deleted ${selected}`);
              });
          }}
        >
          {confirm === 'seal'
            ? 'A sealed store can never again take, change or delete an object. This cannot be undone.'
            : confirm === 'rm'
              ? 'Every object in the store is deleted. This cannot be undone.'
              : 'The object and its data are deleted.'}
        </ConfirmDialog>
      )}
    </section>
  );
}
