/**
 * Every Redis key and channel name of one deployment, under its prefix (`--redis-prefix`). An
 * extension's keys share its hash tag, the cluster's keys the tag `{cluster}`: each script touches keys
 * of one tag only, as Redis Cluster requires.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** The three keys of an extension, in the order the extension scripts take them. */
  registered(extensionId: string): string {
    return `${this.prefix}{${extensionId}}:registered`;
  }

  calls(extensionId: string): string {
    return `${this.prefix}{${extensionId}}:calls`;
  }

  seq(extensionId: string): string {
    return `${this.prefix}{${extensionId}}:seq`;
  }

  /** Registered peer id -> the display name it registered with (for the web admin's live view). */
  agentNames(extensionId: string): string {
    return `${this.prefix}{${extensionId}}:names`;
  }

  /** The extension's peers that may resume, by resume token (see `extensionScripts.ts`). */
  peers(extensionId: string): string {
    return `${this.prefix}{${extensionId}}:peers`;
  }

  /** What was kept for the absent peer of a resume token, in order (see `keepForAbsent`). */
  kept(extensionId: string, token: string): string {
    return `${this.prefix}{${extensionId}}:kept:${token}`;
  }

  /** Messages for process `node` that no process listened to (see `extensionScripts.ts`). */
  undelivered(extensionId: string, node: string): string {
    return `${this.prefix}{${extensionId}}:undelivered:${node}`;
  }

  /** Notices for an extension's registered and unregistered audiences. */
  extensionChannel(extensionId: string): string {
    return `${this.prefix}ext:{${extensionId}}`;
  }

  /** Notices for the peers of one process incarnation. */
  nodeChannel(node: string): string {
    return `${this.prefix}node:${node}`;
  }

  /** The process holding the absent peer a resume token names (protocol section 8), while it may resume. */
  resumable(token: string): string {
    return `${this.prefix}resume:${token}`;
  }

  get epoch(): string {
    return `${this.prefix}{cluster}:epoch`;
  }

  get nodes(): string {
    return `${this.prefix}{cluster}:nodes`;
  }

  lease(node: string): string {
    return `${this.prefix}{cluster}:lease:${node}`;
  }

  /** The extensions a process may hold state in: what a sweep of it must visit. */
  nodeExtensions(node: string): string {
    return `${this.prefix}{cluster}:extensions:${node}`;
  }

  sweepLock(node: string): string {
    return `${this.prefix}{cluster}:sweep:${node}`;
  }

  /** The process in a process channel's name. */
  nodeOfChannel(channel: string): string | undefined {
    const start = `${this.prefix}node:`;
    return channel.startsWith(start) ? channel.slice(start.length) : undefined;
  }

  /** The last event number each extension's registered peers on `node` were handed (see `events`). */
  seenEvents(node: string): string {
    return `${this.prefix}{cluster}:seen:${node}`;
  }

  /** The extension id in an extension channel's name. */
  extensionOfChannel(channel: string): string | undefined {
    const start = `${this.prefix}ext:{`;
    return channel.startsWith(start) && channel.endsWith('}') ? channel.slice(start.length, -1) : undefined;
  }
}
