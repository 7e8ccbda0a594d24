import { useMemo, useState, type FormEvent } from 'react';
import {
  MESSAGE_SCHEMAS,
  MESSAGE_TYPES,
  EXAMPLES,
  validateEnvelope,
  type MessageType
} from '../../../main/contract/messages';
import type { RequestResult, TailMessage } from '../../../main/contract';
import { parseHeaderLines } from '../../../main/contract/header-lines';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { HeadersField } from '../components/HeadersField';
import { PayloadBox, PayloadViewSelect } from '../components/PayloadBox';
import { ViewHeader } from '../components/ViewHeader';
import { VirtualList } from '../components/VirtualList';
import { useAction } from '../client/context';
import { useLiveTail, VIEW_RING } from '../hooks/useLiveTail';
import { formatClock, formatCount, formatNumber } from '../lib/format';
import { useNotify } from '../lib/notify';
import { base64ToBytes, type PayloadView } from '../lib/payload';

function tailBytes(m: TailMessage): Uint8Array {
  return m.encoding === 'base64' ? base64ToBytes(m.payload) : new TextEncoder().encode(m.payload);
}

function LiveTailCard() {
  const tail = useLiveTail();
  const [subject, setSubject] = useState('>');
  const [capacity, setCapacity] = useState('10000');
  const [selected, setSelected] = useState<TailMessage | null>(null);
  const [view, setView] = useState<PayloadView>('json');
  const running = tail.info !== null;
  const onStart = (e: FormEvent): void => {
    e.preventDefault();
    setSelected(null);
    void tail.start(subject.trim(), Math.min(100_000, Math.max(10, Number(capacity) || 1000)));
  };
  return (
    <article className="card" aria-labelledby="tail-title">
      <h2 id="tail-title">Live tail</h2>
      <form className="form-row" onSubmit={onStart} aria-label="Live tail">
        <label>
          Subject{' '}
          <input
            className="short"
            style={{ width: 240 }}
            value={subject}
            onChange={(e) => setSubject(e.target.value)}
            spellCheck={false}
          />
        </label>
        <label>
          Ring size{' '}
          <input
            className="short"
            type="number"
            min={10}
            max={100000}
            value={capacity}
            onChange={(e) => setCapacity(e.target.value)}
          />
        </label>
        <button type="submit">{running ? 'Restart' : 'Start'}</button>
        <button type="button" disabled={!running} onClick={() => void (tail.paused ? tail.resume() : tail.pause())}>
          {tail.paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" disabled={!running} onClick={() => void tail.stop()}>
          Stop
        </button>
        <button type="button" onClick={tail.clear}>
          Clear
        </button>
      </form>
      <ErrorNote error={tail.error} />
      <p className="tail-stats" aria-live="off">
        <span>
          Rate <strong data-testid="tail-rate">{formatNumber(tail.rate)}</strong> msgs/s
        </span>
        <span>
          Received <strong data-testid="tail-received">{formatNumber(tail.received)}</strong>
        </span>
        <span>
          Dropped <strong data-testid="tail-dropped">{formatNumber(tail.dropped)}</strong>
        </span>
        <span>
          Shown <strong data-testid="tail-shown">{formatNumber(tail.messages.length)}</strong>
          {tail.trimmed > 0 && ` (the newest ${formatNumber(VIEW_RING)})`}
        </span>
        <span data-testid="tail-state">
          {running
            ? tail.paused
              ? 'paused: the ring keeps the newest messages'
              : `tailing ${tail.info?.subject}`
            : 'stopped'}
        </span>
      </p>
      {tail.messages.length === 0 ? (
        <EmptyState title={running ? `Waiting for messages on ${tail.info?.subject}…` : 'No live tail running.'}>
          {running
            ? 'Publish below, or start the simulator (synos-cc simulate).'
            : 'Enter a subject (wildcards * and > allowed) and press Start.'}
        </EmptyState>
      ) : (
        <VirtualList
          label="Tailed messages"
          items={tail.messages}
          rowHeight={24}
          height={360}
          follow={!selected}
          renderRow={(m) => (
            <button
              type="button"
              className="tail-row"
              onClick={() => setSelected(m)}
              aria-label={`Message ${m.seq} on ${m.subject}`}
            >
              <span className="hint">{m.seq}</span>
              <span className="hint">{formatClock(m.time)}</span>
              <span className="tail-subject">{m.subject}</span>
              <span className="preview">
                {m.encoding === 'base64' ? `(binary, ${m.size} bytes)` : m.payload.slice(0, 200)}
              </span>
            </button>
          )}
        />
      )}
      {selected && (
        <div className="card" aria-label="Selected message">
          <div className="view-header">
            <strong className="mono">
              #{selected.seq} {selected.subject}
            </strong>
            <div className="form-row">
              <PayloadViewSelect value={view} onChange={setView} />
              <button type="button" onClick={() => setSelected(null)}>
                Close and follow
              </button>
            </div>
          </div>
          <PayloadBox
            bytes={tailBytes(selected)}
            view={view}
            headers={selected.headers}
            truncated={selected.truncated}
            label={`message ${selected.seq}`}
          />
        </div>
      )}
    </article>
  );
}

type BodyCheck = { ok: true; text: string } | { ok: false; text: string } | null;

/** Checks the body as the chosen envelope type's data, or a raw body as a whole envelope. */
function checkBody(body: string, type: MessageType | '', validateRaw: boolean): BodyCheck {
  if (type) {
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch (e) {
      return { ok: false, text: `data is not JSON: ${(e as Error).message}` };
    }
    const parsed = MESSAGE_SCHEMAS[type].safeParse(data);
    return parsed.success
      ? { ok: true, text: `valid ${type} data; it is sent inside a CloudEvents envelope` }
      : {
          ok: false,
          text: parsed.error.issues.map((i) => `data.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
        };
  }
  if (!validateRaw) return null;
  const v = validateEnvelope(body);
  return v.ok ? { ok: true, text: `valid ${v.type} envelope` } : { ok: false, text: `${v.reason}: ${v.message}` };
}

function PublishCard() {
  const publish = useAction('messages.publish');
  const notify = useNotify();
  const [subject, setSubject] = useState('orchestrator.service.health');
  const [type, setType] = useState<MessageType | ''>('service.health.update');
  const [body, setBody] = useState(() => JSON.stringify(EXAMPLES['service.health.update'][0], null, 2));
  const [headers, setHeaders] = useState('');
  const [count, setCount] = useState('1');
  const [validateRaw, setValidateRaw] = useState(true);
  const check = useMemo(() => checkBody(body, type, validateRaw), [body, type, validateRaw]);
  const parsedHeaders = useMemo(() => parseHeaderLines(headers), [headers]);
  const blocked = Boolean(type) && check !== null && !check.ok;
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    if (!parsedHeaders.ok || blocked) return;
    void publish
      .run({
        subject: subject.trim(),
        body,
        headers: parsedHeaders.headers,
        count: Math.max(1, Number(count) || 1),
        envelope: type ? { type } : undefined
      })
      .then(
        (r) =>
          r &&
          notify(`Published ${formatCount(r.published, 'message')} to ${r.subject} in ${formatNumber(r.durationMs)} ms`)
      );
  };
  return (
    <article className="card" aria-labelledby="publish-title">
      <h2 id="publish-title">Publish</h2>
      <form className="stack" onSubmit={onSubmit} aria-label="Publish">
        <div className="form-row">
          <label>
            Subject{' '}
            <input
              className="short"
              style={{ width: 280 }}
              value={subject}
              onChange={(e) => setSubject(e.target.value)}
              spellCheck={false}
            />
          </label>
          <label>
            Envelope type{' '}
            <select
              value={type}
              onChange={(e) => {
                const t = e.target.value as MessageType | '';
                setType(t);
                if (t) setBody(JSON.stringify(EXAMPLES[t][0], null, 2));
              }}
            >
              <option value="">none (raw body)</option>
              {MESSAGE_TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Count{' '}
            <input
              className="short"
              type="number"
              min={1}
              max={1000000}
              value={count}
              onChange={(e) => setCount(e.target.value)}
            />
          </label>
          {!type && (
            <label>
              <input type="checkbox" checked={validateRaw} onChange={(e) => setValidateRaw(e.target.checked)} /> Check
              as a Syn_OS envelope
            </label>
          )}
        </div>
        <label className="field">
          {type ? 'Data (JSON)' : 'Body'}
          <textarea
            rows={8}
            value={body}
            onChange={(e) => setBody(e.target.value)}
            spellCheck={false}
            className="mono"
          />
        </label>
        {check && (
          <div
            className={check.ok ? 'check-ok' : 'error-note'}
            role={check.ok ? 'status' : 'alert'}
            data-testid="envelope-check"
          >
            {check.ok ? '✓ ' : '✗ '}
            {check.text}
            {!check.ok && !type && ' (a raw body can still be sent)'}
          </div>
        )}
        <HeadersField value={headers} onChange={setHeaders} parsed={parsedHeaders} />
        <div className="form-row">
          <button type="submit" disabled={publish.pending || blocked || !parsedHeaders.ok}>
            Publish
          </button>
          <span className="hint">Templates such as {'{{count}}'} are filled per message.</span>
        </div>
        <ErrorNote error={publish.error} />
      </form>
    </article>
  );
}

/** "no headers", "1 header", "3 headers" (names; repeated values count once). */
function replyHeaderCount(reply: RequestResult): string {
  const n = Object.keys(reply.reply.headers ?? {}).length;
  return n === 0 ? 'no headers' : formatCount(n, 'header');
}

function RequestCard() {
  const request = useAction('messages.request');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [headers, setHeaders] = useState('');
  const [timeout, setTimeoutMs] = useState('5000');
  const [reply, setReply] = useState<RequestResult | null>(null);
  const parsedHeaders = useMemo(() => parseHeaderLines(headers), [headers]);
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    if (!parsedHeaders.ok) return;
    setReply(null);
    void request
      .run({
        subject: subject.trim(),
        body,
        headers: parsedHeaders.headers,
        timeoutMs: Math.max(10, Number(timeout) || 5000)
      })
      .then((r) => r && setReply(r));
  };
  return (
    <article className="card" aria-labelledby="request-title">
      <h2 id="request-title">Request</h2>
      <form className="stack" onSubmit={onSubmit} aria-label="Request">
        <div className="form-row">
          <label>
            Subject{' '}
            <input
              className="short"
              style={{ width: 280 }}
              value={subject}
              onChange={(e) => setSubject(e.target.value)}
              spellCheck={false}
              required
            />
          </label>
          <label>
            Timeout (ms){' '}
            <input
              className="short"
              type="number"
              min={10}
              max={300000}
              value={timeout}
              onChange={(e) => setTimeoutMs(e.target.value)}
            />
          </label>
          <button type="submit" disabled={request.pending || !parsedHeaders.ok}>
            {request.pending ? 'Waiting…' : 'Send request'}
          </button>
        </div>
        <label className="field">
          Body
          <textarea
            rows={3}
            value={body}
            onChange={(e) => setBody(e.target.value)}
            spellCheck={false}
            className="mono"
          />
        </label>
        <HeadersField value={headers} onChange={setHeaders} parsed={parsedHeaders} />
      </form>
      <ErrorNote error={request.error} />
      {reply && (
        <div data-testid="request-reply">
          <p className="hint">
            Reply in {formatNumber(reply.durationMs, 1)} ms, {formatNumber(reply.reply.size)} bytes,{' '}
            {replyHeaderCount(reply)}
          </p>
          <PayloadBox
            bytes={
              reply.reply.encoding === 'base64'
                ? base64ToBytes(reply.reply.payload)
                : new TextEncoder().encode(reply.reply.payload)
            }
            view="json"
            headers={reply.reply.headers}
            truncated={reply.reply.truncated}
            label="the reply"
          />
        </div>
      )}
    </article>
  );
}

export function MessagesView() {
  return (
    <section>
      <ViewHeader title="Messages" />
      <LiveTailCard />
      <div className="cards">
        <PublishCard />
        <RequestCard />
      </div>
    </section>
  );
}
