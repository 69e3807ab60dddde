/**
 * The ring of an incoming call, synthesised with WebAudio (no audio file): a soft two-note chime every
 * three seconds while calls wait. Browsers only start audio after a user gesture, so `unlock()` is called
 * from the Sign in click.
 */
export class Ringer {
  #context: AudioContext | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Creates or resumes the AudioContext; call it from a click or key handler. */
  unlock(): void {
    try {
      this.#context ??= new AudioContext();
      void this.#context.resume().catch(() => undefined);
    } catch {
      // No WebAudio: calls still show up, silently.
    }
  }

  get ringing(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#chime();
    this.#timer = setInterval(() => this.#chime(), 3000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #chime(): void {
    const context = this.#context;
    if (context === undefined || context.state !== 'running') return;
    const start = context.currentTime + 0.02;
    // Two notes a major third apart (E5, C5), each with a quick attack and a gentle exponential decay.
    this.#note(context, 659.25, start, 0.45);
    this.#note(context, 523.25, start + 0.38, 0.7);
  }

  #note(context: AudioContext, frequency: number, at: number, length: number): void {
    const oscillator = context.createOscillator();
    const overtone = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = 'sine';
    oscillator.frequency.value = frequency;
    overtone.type = 'sine';
    overtone.frequency.value = frequency * 2;
    const overtoneGain = context.createGain();
    overtoneGain.gain.value = 0.15;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    oscillator.connect(gain);
    overtone.connect(overtoneGain).connect(gain);
    gain.connect(context.destination);
    for (const source of [oscillator, overtone]) {
      source.start(at);
      source.stop(at + length + 0.05);
    }
  }
}
