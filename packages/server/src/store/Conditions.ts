/**
 * A WHERE clause built up one condition at a time, its values kept apart as query parameters (never written
 * into the SQL): each `$?` in a condition stands for the next value and becomes its placeholder, in the
 * style of the driver the clause is for.
 */
export class Conditions<Value = unknown> {
  readonly values: Value[] = [];
  readonly #conditions: string[] = [];
  readonly #placeholder: (position: number) => string;

  /** For PostgreSQL: numbered placeholders, `$1`, `$2`, … */
  static numbered<Value = unknown>(): Conditions<Value> {
    return new Conditions<Value>((position) => `$${position}`);
  }

  /** For SQLite: anonymous placeholders, `?`, bound in order. */
  static anonymous<Value = unknown>(): Conditions<Value> {
    return new Conditions<Value>(() => '?');
  }

  /** `placeholder` writes the placeholder of the value at `position` (1 for the first) among `values`. */
  private constructor(placeholder: (position: number) => string) {
    this.#placeholder = placeholder;
  }

  add(condition: string, ...values: Value[]): void {
    let text = condition;
    for (const value of values) {
      this.values.push(value);
      const placeholder = this.#placeholder(this.values.length);
      text = text.replace('$?', () => placeholder);
    }
    this.#conditions.push(text);
  }

  /** `WHERE` and the conditions joined by `AND`, or nothing when there are none. */
  clause(): string {
    return this.#conditions.length === 0 ? '' : `WHERE ${this.#conditions.join(' AND ')}`;
  }
}
