import { ViewHeader } from '../components/ViewHeader';
import { NewStore, StoreTable } from './objects/store-list';
import { StorePage } from './objects/store-page';

export function ObjectStoresView({ rest }: { rest: string[] }) {
  const [bucket] = rest;
  if (bucket) return <StorePage bucket={bucket} />;
  return (
    <section>
      <ViewHeader title="Object Stores" />
      <StoreTable />
      <NewStore />
    </section>
  );
}
