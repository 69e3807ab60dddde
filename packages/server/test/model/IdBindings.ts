import { isSymbolicId } from './protocolModel.js';

/**
 * The one-to-one map between the model's symbolic ids (`§call1`) and the ids the server issued. A
 * symbol is bound the first time a message carrying it is matched; after that it must always be the same
 * real id, and no other symbol may take that real id.
 */
export class IdBindings {
  private constructor(
    private readonly realBySymbol: Map<string, string>,
    private readonly symbolByReal: Map<string, string>,
  ) {}

  static empty(): IdBindings {
    return new IdBindings(new Map(), new Map());
  }

  copy(): IdBindings {
    return new IdBindings(new Map(this.realBySymbol), new Map(this.symbolByReal));
  }

  /** Binds `expected` to `actual` if it can; false when that would break the one-to-one map. */
  unify(expected: string, actual: unknown): boolean {
    if (!isSymbolicId(expected)) return expected === actual;
    if (typeof actual !== 'string' || actual === '') return false;
    const bound = this.realBySymbol.get(expected);
    if (bound !== undefined) return bound === actual;
    if (this.symbolByReal.has(actual)) return false;
    this.realBySymbol.set(expected, actual);
    this.symbolByReal.set(actual, expected);
    return true;
  }

  /** The real id a symbol stands for; literal ids stand for themselves. */
  real(id: string): string {
    if (!isSymbolicId(id)) return id;
    const real = this.realBySymbol.get(id);
    if (real === undefined) throw new Error(`No real id is bound to ${id} yet.`);
    return real;
  }

  /** A real id as the model calls it, for failure reports. */
  symbolOf(real: string): string | undefined {
    return this.symbolByReal.get(real);
  }
}
