import { createHmac, randomBytes } from 'node:crypto';
import type { IceServer } from '../config/serverOptions.js';

export interface IceServerSettings {
  iceServers: IceServer[];
  turnSecret: string;
  turnUrls: string[];
  turnTtl: number;
}

/**
 * The ICE servers one browser gets from `/api/ice-servers`: the static list, plus a TURN entry with
 * fresh time-limited credentials in the coturn REST API scheme when a TURN secret is set. The username is
 * `<expiry unix seconds>:<random>` and the credential base64(HMAC-SHA1(secret, username)), which coturn
 * (`use-auth-secret`) checks without any shared state.
 */
export function iceServersForBrowser(settings: IceServerSettings, nowMs = Date.now()): IceServer[] {
  if (settings.turnSecret === '') return settings.iceServers;
  const expiresAt = Math.floor(nowMs / 1000) + settings.turnTtl;
  const username = `${expiresAt}:${randomBytes(9).toString('base64url')}`;
  const credential = createHmac('sha1', settings.turnSecret).update(username).digest('base64');
  return [...settings.iceServers, { urls: settings.turnUrls, username, credential }];
}
