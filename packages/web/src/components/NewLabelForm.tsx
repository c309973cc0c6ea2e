import { useState } from 'react';

/** A one-field form that adds a label by name (the annotator's rail and the settings page). */
export function NewLabelForm({
  onAdd,
  button = 'Add',
}: {
  onAdd: (name: string) => Promise<boolean>;
  button?: string;
}) {
  const [name, setName] = useState('');
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        const n = name.trim();
        if (n) void onAdd(n).then((added) => added && setName(''));
      }}
    >
      <input
        aria-label="New label name"
        data-testid="new-label"
        value={name}
        maxLength={64}
        placeholder="new label"
        onChange={(e) => setName(e.target.value)}
      />
      <button type="submit">{button}</button>
    </form>
  );
}
