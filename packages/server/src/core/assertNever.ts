/** Compile-time exhaustiveness for `switch` over a union: adding a member without a case fails to build. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
