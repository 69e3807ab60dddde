import { type JsonNode, ObjectNode, RawToken, renderJson } from './jsonText.js';
import type { SeededRandom } from './SeededRandom.js';

/** What the generator knows about the connection it writes for; the harness keeps it current. */
export interface FuzzTarget {
  /** The fuzzer's own peer id, once an `init` gave it one. */
  ownPeerId: string | undefined;
  /** The call the fuzzer is a connected party of, if any: its signals are relayed to the victim. */
  ownCallId: string | undefined;
  /** Other call ids it may aim at: bystanders' calls, calls it heard ringing. */
  knownCallIds: readonly string[];
  /** Other peers' ids: bystanders and victims. */
  foreignPeerIds: readonly string[];
  /** The extension's password, so that some `register`s succeed. */
  password: string;
  /** The server's frame size limit in bytes. */
  maxFrameBytes: number;
}

export interface FuzzFrame {
  /** What the generator meant, for failure reports (e.g. `mutated end: drop callId, odd id`). */
  label: string;
  /** The payload: a string is sent as UTF-8 text; a Buffer as is (text frames with invalid UTF-8). */
  data: string | Buffer;
  binary: boolean;
}

type Category =
  | 'valid'
  | 'mutated'
  | 'randomJson'
  | 'garbage'
  | 'deepNesting'
  | 'nearLimit'
  | 'overLimit'
  | 'invalidUtf8'
  | 'binary'
  | 'empty';

/** Mostly mutations of real messages (they reach the deepest code); closing frames are rare on purpose. */
const CATEGORY_WEIGHTS: Record<Category, number> = {
  valid: 14,
  mutated: 40,
  randomJson: 10,
  garbage: 8,
  deepNesting: 3,
  nearLimit: 2,
  overLimit: 0.4,
  invalidUtf8: 0.4,
  binary: 3,
  empty: 1,
};

const MESSAGE_TYPES = [
  'init',
  'register',
  'deregister',
  'status',
  'call',
  'answer',
  'end',
  'signal',
] as const;
type MessageType = (typeof MESSAGE_TYPES)[number];

const ODD_STRINGS = [
  '',
  ' ',
  'é',
  'e\u0301',
  '😀',
  '😀'.repeat(64),
  '😀'.repeat(65),
  'n'.repeat(64),
  'n'.repeat(65),
  '\u0000',
  '\u2028\u2029',
  '\ud800',
  '\udfff',
  'a\ud800b',
  '\udc00\ud800',
  '\u202eevil',
  '\ufeff',
  '\\',
  '"',
  '</script>',
  'null',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '𝕏'.repeat(30),
];

/** Number spellings, valid JSON or not: JSON.parse turns `1e309` into Infinity, `-0` into -0. */
const VALID_NUMBER_TOKENS = [
  '1e309',
  '-1e309',
  '-0',
  '1.0',
  '0.0',
  '1E2',
  '1e-400',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740992',
  '1.5',
  '-1',
  '123456789012345678901234567890',
];
const INVALID_NUMBER_TOKENS = ['0x10', 'NaN', 'Infinity', '01', '.5', '+1', '1.', '--1', '1e'];

const ODD_IDS: JsonNode[] = [
  'i'.repeat(64),
  'i'.repeat(65),
  '😀'.repeat(64),
  '😀'.repeat(65),
  '\ud800',
  '',
  9007199254740991,
  -9007199254740991,
  0,
  1.5,
  true,
  null,
  [],
  ObjectNode.of({}),
  ...VALID_NUMBER_TOKENS.map((token) => new RawToken(token)),
];

const SPECIAL_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];
const SPECIAL_TYPES = [
  ...SPECIAL_KEYS,
  'INIT',
  'Init',
  'init ',
  'signal\u0000',
  '',
  'response',
  'event',
  'error',
  'hangup',
  'ping',
];

/**
 * A seeded, deterministic source of fuzz frames: mutated protocol messages, random JSON, garbage text,
 * deep nesting, frames at and over the size limit, invalid UTF-8, binary and empty frames. Given the
 * same seed and the same targets it draws the same sequence; only server-issued ids differ between runs.
 */
export class FrameGenerator {
  constructor(private readonly random: SeededRandom) {}

  next(target: FuzzTarget): FuzzFrame {
    const category = this.random.weighted(CATEGORY_WEIGHTS);
    switch (category) {
      case 'valid': {
        // In a connected call most valid frames are signals: they are what reaches the victim.
        const type =
          target.ownCallId !== undefined && this.random.chance(0.5)
            ? 'signal'
            : this.random.pick(MESSAGE_TYPES);
        return this.text(`valid ${type}`, renderJson(this.message(type, target)));
      }
      case 'mutated':
        return this.mutated(target);
      case 'randomJson':
        return this.text('random JSON', renderJson(this.value(4)));
      case 'garbage':
        return this.garbage(target);
      case 'deepNesting':
        return this.deepNesting(target);
      case 'nearLimit':
        return this.sized(target, target.maxFrameBytes - this.random.between(0, 64), 'near the limit');
      case 'overLimit':
        return this.sized(target, target.maxFrameBytes + this.random.between(1, 2048), 'over the limit');
      case 'invalidUtf8':
        return this.invalidUtf8(target);
      case 'binary':
        return this.binary(target);
      case 'empty':
        return this.text('empty-ish', this.random.pick(['', ' ', '\n', '\t\r\n']));
    }
  }

  private text(label: string, data: string): FuzzFrame {
    return { label, data, binary: false };
  }

  /** A well-formed message of `type` aimed at the fuzzer's own state (peerId, call, password). */
  private message(type: MessageType, target: FuzzTarget): ObjectNode {
    const message = ObjectNode.of({ type });
    if (this.random.chance(0.6)) {
      message.set(
        'id',
        this.random.chance(0.5) ? this.random.below(1_000_000) : `f${this.random.below(1e6)}`,
      );
    }
    const own = target.ownPeerId ?? this.anyPeerId(target);
    const callId = () =>
      target.ownCallId !== undefined && this.random.chance(0.5)
        ? target.ownCallId
        : this.random.pick([...target.knownCallIds, this.randomToken()]);
    switch (type) {
      case 'init':
        if (this.random.chance(0.2)) message.set('resume', this.randomToken());
        break;
      case 'register':
        message.set('peerId', own);
        message.set('password', this.random.chance(0.5) ? target.password : this.oddString());
        if (this.random.chance(0.3)) message.set('name', this.oddString());
        break;
      case 'deregister':
      case 'status':
        message.set('peerId', own);
        break;
      case 'call':
        message.set('peerId', own);
        if (this.random.chance(0.5)) message.set('name', this.oddString());
        break;
      case 'answer':
      case 'end':
        message.set('peerId', own);
        message.set('callId', callId());
        break;
      case 'signal':
        message.set('peerId', own);
        message.set(
          'callId',
          target.ownCallId !== undefined && this.random.chance(0.8) ? target.ownCallId : callId(),
        );
        message.set('data', this.value(4));
        break;
    }
    return message;
  }

  private mutated(target: FuzzTarget): FuzzFrame {
    const type =
      target.ownCallId !== undefined && this.random.chance(0.3) ? 'signal' : this.random.pick(MESSAGE_TYPES);
    const message = this.message(type, target);
    const applied: string[] = [];
    const count = this.random.between(1, 3);
    for (let index = 0; index < count; index++) applied.push(this.mutate(message, target));
    return this.text(`mutated ${type}: ${applied.join(', ')}`, renderJson(message));
  }

  /** Applies one mutation in place and names it. */
  private mutate(message: ObjectNode, target: FuzzTarget): string {
    const { entries } = message;
    const mutation = this.random.pick([
      'drop field',
      'retype field',
      'duplicate field',
      'wrong peerId',
      'wrong callId',
      'odd id',
      'odd string',
      'odd number',
      'special key',
      'special type',
      'unknown type',
      'extra field',
      'reorder',
    ] as const);
    switch (mutation) {
      case 'drop field':
        if (entries.length > 0) entries.splice(this.random.below(entries.length), 1);
        break;
      case 'retype field':
        if (entries.length > 0) (this.random.pick(entries) as [string, JsonNode])[1] = this.value(2);
        break;
      case 'duplicate field': {
        const [key] = entries.length > 0 ? this.random.pick(entries) : ['type'];
        entries.push([key, key === 'type' ? this.random.pick(MESSAGE_TYPES) : this.value(1)]);
        break;
      }
      case 'wrong peerId': {
        const own = target.ownPeerId ?? 'P';
        message.set(
          'peerId',
          this.random.pick([
            ...target.foreignPeerIds,
            `${own}x`,
            own.toUpperCase(),
            ` ${own}`,
            `${own}\ud800`,
            own.slice(1),
            '',
            this.randomToken(),
          ]),
        );
        break;
      }
      case 'wrong callId':
        message.set(
          'callId',
          this.random.pick([
            ...target.knownCallIds,
            `${target.ownCallId ?? 'C'}x`,
            (target.ownCallId ?? 'C').toLowerCase(),
            '',
            this.randomToken(),
          ]),
        );
        break;
      case 'odd id':
        message.set('id', this.random.pick(ODD_IDS));
        break;
      case 'odd string': {
        const strings = entries.filter(([, value]) => typeof value === 'string');
        if (strings.length > 0) (this.random.pick(strings) as [string, JsonNode])[1] = this.oddString();
        break;
      }
      case 'odd number':
        message.set(
          this.random.pick(['id', 'peerId', 'callId', 'data', 'name']),
          new RawToken(this.random.pick(VALID_NUMBER_TOKENS)),
        );
        break;
      case 'special key':
        entries.push([this.random.pick(SPECIAL_KEYS), this.value(2)]);
        break;
      case 'special type':
        message.set('type', this.random.pick(SPECIAL_TYPES));
        break;
      case 'unknown type':
        message.set('type', this.randomToken());
        break;
      case 'extra field':
        entries.push([this.key(), this.value(2)]);
        break;
      case 'reorder':
        for (let index = entries.length - 1; index > 0; index--) {
          const other = this.random.below(index + 1);
          [entries[index], entries[other]] = [
            entries[other] as [string, JsonNode],
            entries[index] as [string, JsonNode],
          ];
        }
        break;
    }
    return mutation;
  }

  private garbage(target: FuzzTarget): FuzzFrame {
    const valid = renderJson(this.message(this.random.pick(MESSAGE_TYPES), target));
    const variants: [string, () => string][] = [
      ['truncated message', () => valid.slice(0, this.random.below(valid.length))],
      ['two objects', () => `${valid}${valid}`],
      ['trailing comma', () => `${valid},`],
      ['byte order mark', () => `\ufeff${valid}`],
      ['comment', () => `/* hi */${valid}`],
      ['single quotes', () => valid.replaceAll('"', "'")],
      ['invalid number', () => `{"type":"init","id":${this.random.pick(INVALID_NUMBER_TOKENS)}}`],
      ['random characters', () => this.randomCharacters(this.random.between(1, 80))],
      ['JSON scalar', () => this.random.pick(['null', 'true', 'false', '0', '"init"', '[]', '[{}]', '{}'])],
      ['unbalanced', () => this.random.pick(['{', '}', '[', ']', '{"type":', '{"type":"init"', '"'])],
    ];
    const [label, build] = this.random.pick(variants);
    return this.text(`garbage: ${label}`, build());
  }

  /** Nesting far beyond what JSON.stringify survives (about 5000 levels on Node 20's default stack). */
  private deepNesting(target: FuzzTarget): FuzzFrame {
    const room = target.maxFrameBytes - 200;
    const depth = this.random.chance(0.5) ? 5000 : this.random.between(100, Math.floor(room / 2));
    const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const objectDepth = Math.min(depth, Math.floor(room / 6));
    const objects = `${'{"a":'.repeat(objectDepth)}1${'}'.repeat(objectDepth)}`;
    const nested = this.random.chance(0.7) ? arrays : objects;
    const shape = nested === arrays ? `arrays x${depth}` : `objects x${objectDepth}`;
    const { ownPeerId, ownCallId } = target;
    const where = this.random.pick([
      'signal data',
      'signal data',
      'whole frame',
      'unbalanced',
      'field',
      'id',
    ]);
    switch (where) {
      case 'signal data': {
        const peerId = JSON.stringify(ownPeerId ?? this.anyPeerId(target));
        const callId = JSON.stringify(ownCallId ?? this.random.pick([...target.knownCallIds, 'C']));
        return this.text(
          `deep ${shape} as signal data`,
          `{"type":"signal","peerId":${peerId},"callId":${callId},"data":${nested}}`,
        );
      }
      case 'whole frame':
        return this.text(`deep ${shape} as the frame`, nested);
      case 'unbalanced':
        return this.text(`deep ${shape} unbalanced`, nested.slice(0, nested.length / 2));
      case 'field':
        return this.text(
          `deep ${shape} as callId`,
          `{"type":"end","peerId":${JSON.stringify(ownPeerId ?? 'P')},"callId":${nested}}`,
        );
      default:
        return this.text(`deep ${shape} as id`, `{"type":"init","id":${nested}}`);
    }
  }

  /** A frame of exactly `bytes` bytes: a message with one field padded (ASCII with a few multi-byte characters). */
  private sized(target: FuzzTarget, bytes: number, what: string): FuzzFrame {
    const own = JSON.stringify(target.ownPeerId ?? this.anyPeerId(target));
    const call = JSON.stringify(target.ownCallId ?? this.random.pick([...target.knownCallIds, 'C']));
    const shapes: [string, string, string][] = [
      ['signal data', `{"type":"signal","peerId":${own},"callId":${call},"data":"`, '"}'],
      ['register password', `{"type":"register","peerId":${own},"password":"`, '"}'],
      ['call name', `{"type":"call","peerId":${own},"name":"`, '"}'],
      ['peerId', '{"type":"status","peerId":"', '"}'],
      ['id', '{"type":"init","id":"', '"}'],
      ['unknown type', '{"type":"', '"}'],
    ];
    const [field, prefix, suffix] = this.random.pick(shapes);
    const fixed = Buffer.byteLength(prefix) + Buffer.byteLength(suffix);
    let padding = '';
    const multiByte = Math.max(0, Math.min(50, Math.floor((bytes - fixed) / 8)));
    for (let index = 0; index < multiByte; index++) padding += this.random.pick(['é', '😀', '€']);
    padding += 'x'.repeat(Math.max(0, bytes - fixed - Buffer.byteLength(padding)));
    const data = `${prefix}${padding}${suffix}`;
    return this.text(`${what} (${Buffer.byteLength(data)} bytes, ${field})`, data);
  }

  private invalidUtf8(target: FuzzTarget): FuzzFrame {
    const sequences: [string, number[]][] = [
      ['0xff', [0xff]],
      ['truncated sequence', [0xc3]],
      ['encoded surrogate', [0xed, 0xa0, 0x80]],
      ['overlong slash', [0xc0, 0xaf]],
      ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['lone continuation', [0x80]],
    ];
    const [label, bytes] = this.random.pick(sequences);
    const own = JSON.stringify(target.ownPeerId ?? 'P');
    const data = Buffer.concat([
      Buffer.from(`{"type":"status","peerId":${own},"id":"`),
      Buffer.from(bytes),
      Buffer.from('"}'),
    ]);
    return { label: `invalid UTF-8 (${label})`, data, binary: false };
  }

  private binary(target: FuzzTarget): FuzzFrame {
    const variant = this.random.pick(['valid message', 'random bytes', 'empty'] as const);
    const data =
      variant === 'valid message'
        ? Buffer.from(renderJson(this.message(this.random.pick(MESSAGE_TYPES), target)))
        : variant === 'empty'
          ? Buffer.alloc(0)
          : Buffer.from(Array.from({ length: this.random.between(1, 200) }, () => this.random.below(256)));
    return { label: `binary: ${variant}`, data, binary: true };
  }

  /** Random JSON of every shape, special keys and number spellings included, down to `depth` levels. */
  private value(depth: number): JsonNode {
    const kind = this.random.weighted({
      null: 1,
      boolean: 1,
      number: 2,
      numberToken: 1,
      string: 3,
      array: depth > 0 ? 2 : 0,
      object: depth > 0 ? 3 : 0,
    });
    switch (kind) {
      case 'null':
        return null;
      case 'boolean':
        return this.random.chance(0.5);
      case 'number':
        return this.random.pick([0, 1, -1, 42, 2 ** 31, 2 ** 53 - 1, 0.1, -1.5e-7, 1e21, Number.MAX_VALUE]);
      case 'numberToken':
        return new RawToken(this.random.pick(VALID_NUMBER_TOKENS));
      case 'string':
        return this.random.chance(0.5) ? this.oddString() : this.randomCharacters(this.random.below(24));
      case 'array':
        return Array.from({ length: this.random.below(5) }, () => this.value(depth - 1));
      default:
        return new ObjectNode(
          Array.from(
            { length: this.random.below(5) },
            () => [this.key(), this.value(depth - 1)] as [string, JsonNode],
          ),
        );
    }
  }

  private key(): string {
    return this.random.chance(0.5)
      ? this.random.pick([...SPECIAL_KEYS, 'type', 'peerId', 'callId', 'id', 'data', 'name', 'resume', ''])
      : this.randomCharacters(this.random.between(1, 10));
  }

  private oddString(): string {
    return this.random.chance(0.7)
      ? this.random.pick(ODD_STRINGS)
      : this.randomCharacters(this.random.between(1, 40));
  }

  /** Characters from every plane, lone surrogates and controls included. */
  private randomCharacters(length: number): string {
    let text = '';
    for (let index = 0; index < length; index++) {
      const range = this.random.pick([
        [0x20, 0x7e],
        [0x00, 0x1f],
        [0x80, 0x7ff],
        [0xd800, 0xdfff],
        [0xe000, 0xfffd],
        [0x10000, 0x10ffff],
      ] as const);
      text += String.fromCodePoint(this.random.between(range[0], range[1]));
    }
    return text;
  }

  private randomToken(): string {
    return Array.from({ length: 22 }, () =>
      this.random.pick([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']),
    ).join('');
  }

  private anyPeerId(target: FuzzTarget): string {
    return this.random.pick([...target.foreignPeerIds, this.randomToken()]);
  }
}
