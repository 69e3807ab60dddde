/** Who the caller's call view says is on the other end. */
export interface CallTitle {
  /** The name the avatar's initials and the view's label are made from. */
  peerName: string;
  /** The line at the top of the call. */
  title: string;
}

/**
 * Once an agent answered: "Talking to Alice" when the agent gave a name (protocol 1.1, the `connected`
 * event's `name`), else the extension's name, as before agents had names.
 */
export function callTitle(agentName: string | undefined, extensionName: string): CallTitle {
  if (agentName === undefined) return { peerName: extensionName, title: extensionName };
  return { peerName: agentName, title: `Talking to ${agentName}` };
}
