import type { CallEndText } from '../shared/describeCallEnd.js';

/**
 * What an agent reads when another agent took a call it saw ringing (the `claimed` event, with the
 * winner's name when the winner gave one, protocol 1.1): "Alice took the call", or "Taken by another
 * agent". `lostRace`: this agent had pressed Answer too.
 */
export function takenBy(winner: string | undefined, callerName: string, lostRace: boolean): CallEndText {
  const title = winner === undefined ? 'Taken by another agent' : `${winner} took the call`;
  const who = winner === undefined ? 'Another agent' : 'They';
  const detail = lostRace ? `${who} answered just before you.` : `The call from ${callerName} was answered.`;
  return { title, detail, tone: 'neutral' };
}
