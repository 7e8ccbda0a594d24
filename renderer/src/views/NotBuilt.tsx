/** Honest placeholder for a view whose backing part has not landed: says so, shows no made-up data. */
export function NotBuiltView({ label }: { label: string }) {
  return (
    <section aria-labelledby="notbuilt-title">
      <h1 id="notbuilt-title">{label}</h1>
      <div className="empty" data-testid="not-built">
        The {label} view is not built yet. Its data is not shown here until it is.
      </div>
    </section>
  );
}
