import { ViewHeader } from '../components/ViewHeader';
import { hrefOf, navigate } from '../lib/route';
import { BucketFacts } from './kv/bucket-facts';
import { BucketTable, NewBucket } from './kv/buckets';
import { KeyDetail } from './kv/key-detail';
import { KeyList } from './kv/key-list';
import { NewKey } from './kv/key-write';
import { Watch } from './kv/watch';

export { conflictText } from './kv/key-write';

export function KeyValueView({ rest }: { rest: string[] }) {
  const [bucket, key] = rest;
  if (!bucket) {
    return (
      <section>
        <ViewHeader title="Key-Value" />
        <BucketTable />
        <NewBucket />
      </section>
    );
  }
  return <BucketPage bucket={bucket} keyName={key ?? null} />;
}

function BucketPage({ bucket, keyName }: { bucket: string; keyName: string | null }) {
  return (
    <section>
      <ViewHeader title="Key-Value">
        <a href={hrefOf('kv')}>All buckets</a>
      </ViewHeader>
      <BucketFacts bucket={bucket} onDeleted={() => navigate('kv')} />
      <div className="split">
        <div>
          <KeyList bucket={bucket} selected={keyName} />
          <Watch bucket={bucket} />
        </div>
        <div>
          <article className="card">
            <NewKey onCreated={(k) => navigate('kv', bucket, k)} />
          </article>
          {keyName ? (
            <KeyDetail key={keyName} bucket={bucket} keyName={keyName} />
          ) : (
            <p className="hint">Choose a key to see its value and history, or open one by name to write it.</p>
          )}
        </div>
      </div>
    </section>
  );
}
