import type { CloudEventHeader } from '../lib/cloudevent';
import { formatTime } from '../lib/format';

/** A CloudEvents message's envelope as one row above its data: type, source, id, time and epoch. */
export function EnvelopeRow({ envelope }: { envelope: CloudEventHeader }) {
  const time = envelope.time !== null && !Number.isNaN(Date.parse(envelope.time)) ? envelope.time : null;
  return (
    <dl
      className="facts facts-inline envelope-row"
      aria-label={`CloudEvents envelope (${envelope.mode} mode)`}
      data-testid="envelope-row"
    >
      <dt>type</dt>
      <dd className="mono" data-testid="envelope-type">
        {envelope.type}
      </dd>
      <dt>source</dt>
      <dd className="mono">{envelope.source}</dd>
      <dt>id</dt>
      <dd className="mono" data-testid="envelope-id">
        {envelope.id}
      </dd>
      <dt>time</dt>
      <dd title={envelope.time ?? undefined}>{time ? formatTime(time) : (envelope.time ?? 'none')}</dd>
      <dt>epoch</dt>
      <dd className="mono" data-testid="envelope-epoch">
        {envelope.epoch ?? 'none'}
      </dd>
    </dl>
  );
}
