/**
 * A name field's value as the protocol's optional `name` (the caller's on `call`, the agent's on
 * `register`): spaces collapsed and trimmed, at most 64 code points (the protocol's limit, counted as the
 * server counts it), or none at all when empty.
 */
export function displayName(value: string): string | undefined {
  const trimmed = value.trim().replace(/\s+/g, ' ');
  if (trimmed === '') return undefined;
  return Array.from(trimmed).slice(0, 64).join('');
}
