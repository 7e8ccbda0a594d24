import { ErrorNote } from '../components/ErrorNote';
import { useQuery } from '../client/context';
import { ImportPanel } from './recordings/import-panel';
import { RecordForm } from './recordings/record-form';
import { RecordingTable } from './recordings/recording-table';
import { ReplayProgressList, useReplayProgress } from './recordings/replay';

/** Recordings: record, export, import, replay with progress. */
export function Recordings() {
  const list = useQuery('recordings.list', {}, { refreshMs: 10_000 });
  const progress = useReplayProgress();
  return (
    <article className="card" aria-labelledby="recordings-title">
      <h2 id="recordings-title">Recordings</h2>
      <RecordForm onDone={list.reload} />
      <ImportPanel onImported={list.reload} />
      <ReplayProgressList progress={progress} />
      <ErrorNote error={list.error} />
      {list.data && <RecordingTable recordings={list.data.recordings} onChange={list.reload} />}
    </article>
  );
}
