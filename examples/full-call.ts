/**
 * A whole call through a running pbx-peers server, using the client SDK from Node: an agent registers
 * to an extension, a caller calls it, the agent answers, both exchange a (fake) WebRTC offer and answer
 * over `signal`, and the agent hangs up. Real apps put RTCPeerConnection SDP and ICE candidates where
 * the fake ones are; the SDK carries any JSON and knows nothing of WebRTC.
 *
 * Run (see README.md next to this file for the server and the extension):
 *
 *   npx tsx examples/full-call.ts <extensionId> <password>
 *
 * or with EXTENSION_ID and PASSWORD in the environment. PBX_URL is the server's WebSocket address
 * (default ws://127.0.0.1:8080). Exits 0 when every step worked, 1 otherwise.
 */
import { PbxClient, type PbxClientEvents } from '@pbx-peers/client';

const STEP_TIMEOUT_MS = 5_000;

const serverUrl = (process.env.PBX_URL ?? 'ws://127.0.0.1:8080').replace(/\/+$/, '');
const extensionId = process.argv[2] ?? process.env.EXTENSION_ID;
const password = process.argv[3] ?? process.env.PASSWORD;

/**
 * Resolves with the next `event` that `matches`. Call it before the action that causes the event:
 * the server may deliver it to one connection before the other connection's response arrives.
 */
function nextEvent<K extends keyof PbxClientEvents>(
  client: PbxClient,
  event: K,
  matches: (payload: PbxClientEvents[K]) => boolean = () => true,
): Promise<PbxClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`No "${String(event)}" event within ${STEP_TIMEOUT_MS} ms.`));
    }, STEP_TIMEOUT_MS);
    const unsubscribe = client.on(event, (payload) => {
      if (!matches(payload)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(payload);
    });
  });
}

function step(text: string): void {
  console.log(`- ${text}`);
}

async function main(): Promise<void> {
  if (extensionId === undefined || password === undefined) {
    throw new Error('Usage: npx tsx examples/full-call.ts <extensionId> <password>');
  }
  const url = `${serverUrl}/peers/${encodeURIComponent(extensionId)}`;
  const agent = new PbxClient({ url });
  const caller = new PbxClient({ url });
  for (const [who, client] of [
    ['agent', agent],
    ['caller', caller],
  ] as const) {
    client.on('error', (error) => console.error(`  ${who} got an error from the server: ${error.message}`));
  }

  try {
    await agent.connect();
    const agentInit = await agent.init();
    step(`agent connected to ${url} as peer ${agentInit.peerId}; the extension is ${agentInit.status}`);
    const registered = await agent.register(password);
    if (registered.status !== 'registered')
      throw new Error(`The agent could not register: ${registered.reason}.`);
    step('agent registered: the extension is ready');

    await caller.connect();
    const callerInit = await caller.init();
    step(`caller connected as peer ${callerInit.peerId}; the extension is ${callerInit.status}`);

    const ringing = nextEvent(agent, 'session', (event) => event.status === 'ringing');
    const call = await caller.call('Example caller');
    if (call.status !== 'ringing') throw new Error('The extension is unavailable.');
    const { callId } = call;
    step(`caller placed call ${callId}: ringing`);
    const ring = await ringing;
    step(`agent hears the call ring${ring.status === 'ringing' && ring.name ? ` from "${ring.name}"` : ''}`);

    const callerConnected = nextEvent(caller, 'session', (event) => event.status === 'connected');
    const answered = await agent.answer(callId);
    if (answered.status !== 'connected') throw new Error('Someone else answered the call first.');
    await callerConnected;
    step('agent answered; caller is told the call is connected');

    const offerArrives = nextEvent(agent, 'signal');
    caller.signal(callId, { sdp: { type: 'offer', sdp: 'v=0 (a fake offer)' } });
    step(`agent received the caller's offer: ${JSON.stringify((await offerArrives).data)}`);

    const answerArrives = nextEvent(caller, 'signal');
    agent.signal(callId, { sdp: { type: 'answer', sdp: 'v=0 (a fake answer)' } });
    step(`caller received the agent's answer: ${JSON.stringify((await answerArrives).data)}`);

    const hangup = nextEvent(caller, 'session', (event) => event.status === 'disconnected');
    await agent.end(callId);
    const ended = await hangup;
    step(
      `agent hung up; caller is told the call is over (${ended.status === 'disconnected' ? ended.reason : ''})`,
    );
  } finally {
    await Promise.all([caller.close(), agent.close()]);
  }
  step('both disconnected. Done.');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
