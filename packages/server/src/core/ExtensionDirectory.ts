/** The core's view of the extension store: only whether a password opens an extension. */
export interface ExtensionDirectory {
  /** False for a wrong password and for an extension that no longer exists. */
  checkPassword(extensionId: string, password: string): Promise<boolean>;
}
