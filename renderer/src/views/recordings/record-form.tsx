import { useState, type FormEvent } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useAction } from '../../client/context';

/** Starts a recording: live traffic on a subject filter, or a sequence range of a stream. */
export function RecordForm({ onDone }: { onDone: () => void }) {
  const start = useAction('recordings.start');
  const [source, setSource] = useState<'live' | 'stream'>('live');
  const [name, setName] = useState('');
  const [filter, setFilter] = useState('orchestrator.>');
  const [stream, setStream] = useState('');
  const [fromSeq, setFromSeq] = useState('');
  const [toSeq, setToSeq] = useState('');
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    const input =
      source === 'live'
        ? { name: name.trim() || undefined, filter: filter.trim() }
        : {
            name: name.trim() || undefined,
            range: {
              stream: stream.trim(),
              filter: filter.trim() || undefined,
              fromSeq: fromSeq ? Number(fromSeq) : undefined,
              toSeq: toSeq ? Number(toSeq) : undefined
            }
          };
    void start.run(input).then((r) => r && onDone());
  };
  return (
    <form className="form-row" onSubmit={onSubmit} aria-label="Record">
      <label>
        Record{' '}
        <select value={source} onChange={(e) => setSource(e.target.value as 'live' | 'stream')}>
          <option value="live">live traffic</option>
          <option value="stream">a stream range</option>
        </select>
      </label>
      <label>
        Name <input className="short" style={{ width: 140 }} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Subject filter{' '}
        <input
          className="short"
          style={{ width: 160 }}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          spellCheck={false}
        />
      </label>
      {source === 'stream' && (
        <>
          <label>
            Stream{' '}
            <input
              className="short"
              style={{ width: 160 }}
              value={stream}
              onChange={(e) => setStream(e.target.value)}
              required
            />
          </label>
          <label>
            From seq{' '}
            <input
              className="short"
              type="number"
              min={1}
              value={fromSeq}
              onChange={(e) => setFromSeq(e.target.value)}
            />
          </label>
          <label>
            To seq{' '}
            <input className="short" type="number" min={1} value={toSeq} onChange={(e) => setToSeq(e.target.value)} />
          </label>
        </>
      )}
      <button type="submit" disabled={start.pending}>
        {source === 'live' ? 'Start recording' : 'Record range'}
      </button>
      <ErrorNote error={start.error} />
    </form>
  );
}
