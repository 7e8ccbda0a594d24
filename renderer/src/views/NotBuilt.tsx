import { ViewHeader } from '../components/ViewHeader';

/** Honest placeholder for a view whose backing part has not landed: says so, shows no made-up data. */
export function NotBuiltView({ label }: { label: string }) {
  return (
    <section>
      <ViewHeader title={label} />
      <div className="empty" data-testid="not-built">
        The {label} view is not built yet: the part of the core that serves its data has not landed. Nothing is shown here until it
        has.
      </div>
    </section>
  );
}
