import { useEffect, useId, useMemo, useRef, useState } from 'react';

export interface Command {
  id: string;
  label: string;
  /** "View", "Action", "Theme" … shown beside the label. */
  group: string;
  /** Extra words the filter matches. */
  keywords?: string;
  run: () => void | Promise<void>;
}

/**
 * The command palette (Ctrl/Cmd+K): type to filter, arrows to move, Enter to run, Escape to close.
 * A combobox with a listbox, so screen readers announce the active command.
 */
export function CommandPalette({ commands, onClose }: { commands: readonly Command[]; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const listId = useId();
  const matches = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return commands.filter((c) => {
      const hay = `${c.group} ${c.label} ${c.keywords ?? ''}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
  }, [commands, query]);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    inputRef.current?.focus();
  }, []);
  const current = Math.min(active, Math.max(0, matches.length - 1));
  const run = (command: Command | undefined): void => {
    if (!command) return;
    onClose();
    void command.run();
  };
  return (
    <dialog
      ref={dialogRef}
      className="dialog palette"
      aria-label="Command palette"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === dialogRef.current) onClose();
      }}
    >
      <input
        ref={inputRef}
        role="combobox"
        aria-expanded="true"
        aria-controls={listId}
        aria-activedescendant={matches[current] ? `${listId}-${matches[current].id}` : undefined}
        aria-label="Command"
        placeholder="Go to a view or run an action…"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((current + 1) % Math.max(1, matches.length));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((current - 1 + matches.length) % Math.max(1, matches.length));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            run(matches[current]);
          }
        }}
      />
      <ul id={listId} role="listbox" aria-label="Commands" className="palette-list">
        {matches.map((c, i) => (
          <li
            key={c.id}
            id={`${listId}-${c.id}`}
            role="option"
            aria-selected={i === current}
            className={i === current ? 'active' : undefined}
            onMouseEnter={() => setActive(i)}
            onClick={() => run(c)}
          >
            <span className="palette-group">{c.group}</span> {c.label}
          </li>
        ))}
        {matches.length === 0 && <li className="hint">No command matches “{query}”.</li>}
      </ul>
    </dialog>
  );
}
