import { useState, type FormEvent } from 'react';
import type { BrowsedMessage } from '../../../main/contract';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { EnvelopeRow } from '../components/EnvelopeRow';
import { ErrorNote } from '../components/ErrorNote';
import { PayloadBox, PayloadViewSelect } from '../components/PayloadBox';
import { useAction, useQuery } from '../client/context';
import { cloudEventOf } from '../lib/cloudevent';
import { formatBytes, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';
import { base64ToBytes, bytesToText, type PayloadView } from '../lib/payload';
import { MessageRangeActions, type SeqRange } from './MessageRangeActions';

/**
 * A stream's messages, paged without a consumer (the Messages tab of a stream). `seq` opens it at
 * that message, expanded (the Engine view's "why" panel links here). A CloudEvents message shows
 * its envelope as a header row above its data. Ticking messages selects the range from the first
 * to the last ticked one, which can be exported, recorded or replayed from here.
 */
/** The first characters of a text payload, for the collapsed line. */
function previewOf(m: BrowsedMessage): string {
  if (m.format === 'empty') return '(empty)';
  if (m.format === 'binary') return '(binary)';
  const text = bytesToText(base64ToBytes(m.payloadBase64));
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

type FromMode = 'first' | 'seq' | 'time' | 'last';

export function MessagesBrowser({
  name,
  seq,
  subject: initialSubject
}: {
  name: string;
  seq?: number | undefined;
  /** A subject filter to start with (the Overview picture's `#/streams/S/messages/SUBJECT` links). */
  subject?: string | undefined;
}) {
  const [mode, setMode] = useState<FromMode>(seq !== undefined ? 'seq' : 'last');
  const [fromValue, setFromValue] = useState(seq !== undefined ? String(seq) : '50');
  const [subject, setSubject] = useState(initialSubject ?? '');
  const [view, setView] = useState<PayloadView>('json');
  const [input, setInput] = useState<{
    from?: { seq: number } | { time: string } | { last: number };
    subject?: string;
  }>({ from: seq !== undefined ? { seq } : { last: 50 }, subject: initialSubject || undefined });
  const [range, setRange] = useState<SeqRange | null>(null);
  const [anchor, setAnchor] = useState<number | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const page = useQuery('streams.browse', { stream: name, ...input, limit: 100 });
  const [deleting, setDeleting] = useState<BrowsedMessage | null>(null);
  const del = useAction('streams.deleteMessage');
  const notify = useNotify();

  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    setFormError(null);
    let from: typeof input.from;
    if (mode === 'seq' || mode === 'last') {
      const n = Number(fromValue);
      if (!Number.isInteger(n) || n < 1)
        return setFormError(`${mode === 'seq' ? 'Start sequence' : 'Last N'} must be a whole number of at least 1.`);
      from = mode === 'seq' ? { seq: n } : { last: n };
    } else if (mode === 'time') {
      const t = new Date(fromValue);
      if (Number.isNaN(t.getTime())) return setFormError('Start time must be a date and time, e.g. 2026-01-31 14:00.');
      from = { time: t.toISOString() };
    }
    setInput({ from, subject: subject.trim() || undefined });
    setRange(null);
    setAnchor(null);
  };

  /** Ticking a message starts a range there; ticking another extends it; unticking clears it. */
  const onTick = (s: number, checked: boolean): void => {
    if (!checked) {
      setRange(null);
      setAnchor(null);
      return;
    }
    if (anchor === null || range === null) {
      setAnchor(s);
      setRange({ from: s, to: s });
      return;
    }
    setRange({ from: Math.min(anchor, s, range.from), to: Math.max(anchor, s, range.to) });
  };
  const inRange = (s: number): boolean => range !== null && s >= range.from && s <= range.to;

  return (
    <>
      <form className="form-row card" onSubmit={onSubmit} aria-label="Browse messages">
        <label>
          From{' '}
          <select value={mode} onChange={(e) => setMode(e.target.value as FromMode)}>
            <option value="first">the first message</option>
            <option value="seq">sequence</option>
            <option value="time">time</option>
            <option value="last">the last N</option>
          </select>
        </label>
        {mode !== 'first' && (
          <label>
            {mode === 'seq' ? 'Start sequence' : mode === 'time' ? 'Start time' : 'Last N'}{' '}
            <input
              className="short"
              style={{ width: mode === 'time' ? 200 : 100 }}
              type={mode === 'time' ? 'datetime-local' : 'number'}
              value={fromValue}
              onChange={(e) => setFromValue(e.target.value)}
            />
          </label>
        )}
        <label>
          Subject filter{' '}
          <input
            className="short"
            style={{ width: 200 }}
            value={subject}
            onChange={(e) => setSubject(e.target.value)}
            placeholder="all subjects"
          />
        </label>
        <button type="submit">Load</button>
        <PayloadViewSelect value={view} onChange={setView} />
      </form>
      {formError && (
        <div className="error-note" role="alert">
          {formError}
        </div>
      )}
      <ErrorNote error={page.error} />
      {page.data &&
        (page.data.messages.length === 0 ? (
          <EmptyState title="No messages here.">
            The stream holds sequences {page.data.firstSeq} … {page.data.lastSeq}. Change the start or the subject
            filter, or publish under Messages.
          </EmptyState>
        ) : (
          <div className="stack" data-testid="browsed-messages">
            <p className="hint">
              {page.data.messages.length} messages (stream holds {page.data.firstSeq} … {page.data.lastSeq}, read via{' '}
              {page.data.method})
              {page.data.nextSeq !== null && (
                <>
                  {' '}
                  <button type="button" onClick={() => setInput({ ...input, from: { seq: page.data!.nextSeq! } })}>
                    Next page
                  </button>
                </>
              )}
            </p>
            <div className="form-row">
              <button
                type="button"
                onClick={() => {
                  const msgs = page.data!.messages;
                  setAnchor(msgs[0]!.seq);
                  setRange({ from: msgs[0]!.seq, to: msgs[msgs.length - 1]!.seq });
                }}
              >
                Select this page
              </button>
              <span className="hint">or tick the first and the last message of a range</span>
            </div>
            {range && (
              <MessageRangeActions
                stream={name}
                filter={input.subject}
                range={range}
                shown={page.data.messages.filter((m) => inRange(m.seq)).length}
                onClear={() => {
                  setRange(null);
                  setAnchor(null);
                }}
              />
            )}
            {page.data.messages.map((m) => (
              <div key={m.seq} className="msg-line">
                <input
                  type="checkbox"
                  aria-label={`Select message ${m.seq}`}
                  checked={inRange(m.seq)}
                  onChange={(e) => onTick(m.seq, e.target.checked)}
                />
                <details className="msg" data-testid="browsed-message" open={m.seq === seq}>
                  <summary>
                    <strong className="mono">#{m.seq}</strong> <span className="mono">{m.subject}</span>{' '}
                    <span className="hint">
                      {formatTime(m.time)} · {formatBytes(m.size)} · {m.format}
                    </span>{' '}
                    <span className="mono preview">{previewOf(m)}</span>
                    {m.notes?.map((note) => (
                      <span key={note} className="hint" data-testid="message-note">
                        {' '}
                        · {note}
                      </span>
                    ))}
                  </summary>
                  <div className="msg-body">
                    <MessageEnvelope m={m} />
                    <PayloadBox
                      bytes={base64ToBytes(m.payloadBase64)}
                      view={view}
                      headers={m.headers}
                      truncated={m.truncated}
                      label={`message ${m.seq}`}
                    />
                    <button type="button" onClick={() => setDeleting(m)} aria-label={`Delete message ${m.seq}`}>
                      Delete…
                    </button>
                  </div>
                </details>
              </div>
            ))}
          </div>
        ))}
      <ErrorNote error={del.error} />
      {deleting && (
        <ConfirmDialog
          title={`Delete message ${deleting.seq}?`}
          confirmLabel="Delete"
          busy={del.pending}
          onCancel={() => setDeleting(null)}
          onConfirm={() =>
            void del.run({ stream: name, seq: deleting.seq, confirm: true }).then((r) => {
              setDeleting(null);
              if (r) {
                notify(`Deleted message ${r.seq} from ${name}`);
                page.reload();
              }
            })
          }
        >
          Message <span className="mono">#{deleting.seq}</span> on <span className="mono">{deleting.subject}</span> is
          removed from <span className="mono">{name}</span> for good.
        </ConfirmDialog>
      )}
    </>
  );
}

function MessageEnvelope({ m }: { m: BrowsedMessage }) {
  const text = m.format === 'json' || m.format === 'text' ? bytesToText(base64ToBytes(m.payloadBase64)) : null;
  const envelope = cloudEventOf(text, m.headers);
  return envelope ? <EnvelopeRow envelope={envelope} /> : null;
}
