import type { TestExtension } from './testServer.js';

/** The extensions the protocol tests use. */
export const FRONT = { id: 'front', name: 'Front desk', password: 'front-secret' } satisfies TestExtension;
export const BACK = { id: 'back', name: 'Back office', password: 'back-secret' } satisfies TestExtension;
