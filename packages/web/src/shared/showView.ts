/**
 * Shows the one `[data-view=name]` element inside `root` and hides its siblings. When `focus` is set, moves
 * keyboard focus into the new view (its `.view-title`, or the given element) so that screen reader and
 * keyboard users follow the change.
 */
export function showView(root: ParentNode, name: string, focus?: HTMLElement | boolean): void {
  for (const view of root.querySelectorAll<HTMLElement>('[data-view]')) {
    view.hidden = view.dataset.view !== name;
  }
  if (focus === undefined || focus === false) return;
  const target =
    focus === true
      ? root.querySelector<HTMLElement>(`[data-view="${name}"] .view-title`)
      : (focus as HTMLElement);
  target?.focus({ preventScroll: false });
}
