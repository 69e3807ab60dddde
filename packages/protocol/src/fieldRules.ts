/**
 * The building blocks both directions' validators share: a rule per field, and the check of a decoded
 * object against a table of them. Each validator types its tables field-for-field against the protocol
 * unions, so a table cannot drift from the types it guards.
 */

export interface FieldRule {
  optional: boolean;
  /** Returns what is wrong with a present value, or undefined when it is acceptable. */
  problem(value: unknown): string | undefined;
}

export const text: FieldRule = {
  optional: false,
  problem: (value) => (typeof value === 'string' ? undefined : 'must be a string'),
};

export const optionalText: FieldRule = { ...text, optional: true };

export const optionalBoolean: FieldRule = {
  optional: true,
  problem: (value) => (typeof value === 'boolean' ? undefined : 'must be true or false'),
};

export const anyJson: FieldRule = { optional: false, problem: () => undefined };

/** `words` is a record rather than an array so that the compiler demands every member of `Word`. */
export function oneOf<Word extends string>(words: Record<Word, true>, optional = false): FieldRule {
  return {
    optional,
    problem: (value) =>
      typeof value === 'string' && Object.hasOwn(words, value)
        ? undefined
        : `must be one of ${Object.keys(words).join(', ')}`,
  };
}

/** Returns the first problem of `object` against `rules` (`"field" must be ...`), or undefined. */
export function fieldProblem(
  object: Record<string, unknown>,
  rules: Record<string, FieldRule>,
): string | undefined {
  for (const field in rules) {
    const rule = rules[field] as FieldRule;
    const value = object[field];
    if (value === undefined) {
      if (rule.optional) continue;
      return `"${field}" is required`;
    }
    const problem = rule.problem(value);
    if (problem !== undefined) return `"${field}" ${problem}`;
  }
  return undefined;
}
