import type { ApiResult, ExtensionRow } from './adminData.js';
import { problemText } from './adminModel.js';

/** What a FilteredRows asks the server for, and tells its page. */
export interface FilteredRowsSource<Row> {
  /** The extensions, for the filter's choices and the names in the rows. */
  extensions(): Promise<ApiResult<ExtensionRow[]>>;
  /** The rows for the page's filter as it is when asked. */
  rows(): Promise<ApiResult<Row[]>>;
  extensionsLoaded(): void;
  /** An answer about the rows changed `rows` or `problem`; `focus` is what `load` was given. */
  rowsLoaded(focus: string | undefined): void;
}

/**
 * The state of an admin list filtered by extension (Calls, Callback requests) without a browser: the
 * extensions its filter offers, and the rows of the latest load or why they could not be loaded. Only
 * the latest load's answer counts (one for a filter since changed is dropped), and none after `stop`.
 * A 401 changes nothing here: the admin page goes back to sign-in.
 */
export class FilteredRows<Row> {
  readonly #source: FilteredRowsSource<Row>;
  extensions: readonly ExtensionRow[] = [];
  /** Undefined until the first answer; a page sets it back to show "Loading…" until the next. */
  rows: Row[] | undefined;
  /** Why the latest load failed, for people; a page may clear it while it loads again. */
  problem: string | undefined;
  #request = 0;
  #running = false;

  constructor(source: FilteredRowsSource<Row>) {
    this.#source = source;
  }

  /** Loads the extensions and the rows. */
  start(): void {
    this.#running = true;
    void this.#loadExtensions();
    void this.load();
  }

  /** Drops the answers still on their way. */
  stop(): void {
    this.#running = false;
    this.#request += 1;
  }

  /** Asks for the rows again; what is shown stays until the answer. */
  async load(focus?: string): Promise<void> {
    const request = ++this.#request;
    const result = await this.#source.rows();
    if (request !== this.#request) return;
    if (result.ok) {
      this.rows = result.value;
      this.problem = undefined;
    } else if (result.problem === 'unauthorized') {
      return;
    } else {
      this.problem = problemText(result.problem, result.message);
    }
    this.#source.rowsLoaded(focus);
  }

  async #loadExtensions(): Promise<void> {
    const result = await this.#source.extensions();
    if (!result.ok || !this.#running) return;
    this.extensions = result.value;
    this.#source.extensionsLoaded();
  }
}
