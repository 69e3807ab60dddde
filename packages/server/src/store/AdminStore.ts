/**
 * Web admin accounts and their sign-in sessions (issue 11), part of every `ExtensionStore` so that a
 * session opened on one process of a cluster is good on every other. Passwords are hashed as the
 * extensions' are; a session is kept by the SHA-256 of its token, never the token itself.
 */

export interface AdminRecord {
  name: string;
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface AdminSession {
  adminName: string;
  /** Sent with every change (`X-CSRF-Token`), compared with this. */
  csrfToken: string;
  expiresAt: Date;
}

export class DuplicateAdminError extends Error {
  override name = 'DuplicateAdminError';
  constructor(readonly adminName: string) {
    super(`An admin named "${adminName}" already exists.`);
  }
}

export interface AdminStore {
  /** Rejects with DuplicateAdminError when the name is taken. */
  addAdmin(name: string, passwordHash: string): Promise<AdminRecord>;
  getAdmin(name: string): Promise<AdminRecord | undefined>;
  /** Oldest first. */
  listAdmins(): Promise<AdminRecord[]>;
  /** Also ends the admin's sessions; false when there was none. */
  removeAdmin(name: string): Promise<boolean>;
  /** Also ends the admin's sessions (a changed password signs everyone out); false when there was none. */
  setAdminPasswordHash(name: string, passwordHash: string): Promise<boolean>;

  createAdminSession(tokenHash: string, session: AdminSession): Promise<void>;
  /** The session, unless it expired (at `now`) or its admin is gone. */
  getAdminSession(tokenHash: string, now: Date): Promise<AdminSession | undefined>;
  deleteAdminSession(tokenHash: string): Promise<void>;
  /** Deletes expired sessions; returns how many. */
  pruneAdminSessions(now: Date): Promise<number>;
}
