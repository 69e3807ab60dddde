/** Up to two letters for an avatar: "Ann Lee" → "AL", "front desk" → "FD", "" → "?". */
export function initials(name: string): string {
  const words = name
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  const letters = words
    .slice(0, 2)
    .map((word) => Array.from(word)[0] ?? '')
    .join('');
  return letters === '' ? '?' : letters.toLocaleUpperCase();
}
