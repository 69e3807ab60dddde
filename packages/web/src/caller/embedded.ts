import './embedded.css';

/**
 * `?embed=1`: the page is shown in the call button's panel on another site (docs/embed.md), and takes the
 * compact layout of embedded.css. Nothing else changes: the page works the same framed or not.
 */
export function markEmbedded(search: string = window.location.search): void {
  if (new URLSearchParams(search).get('embed') === '1') document.documentElement.dataset.embedded = '';
}
