/** One Server-Sent Events frame: its fields, or a comment line. */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads a text/event-stream body frame by frame, as a browser's EventSource would split it. */
export class SseReader {
  private text = '';
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next frame, or undefined once the stream has ended. */
  async next(): Promise<SseFrame | undefined> {
    for (;;) {
      const end = this.text.indexOf('\n\n');
      if (end >= 0) {
        const block = this.text.slice(0, end);
        this.text = this.text.slice(end + 2);
        return parseFrame(block);
      }
      const { value, done } = await this.reader.read();
      if (done) {
        this.ended = true;
        return undefined;
      }
      this.text += this.decoder.decode(value, { stream: true });
    }
  }

  /** Frames until `done` holds for one of them (included), skipping comments; throws if the stream ends first. */
  async until(done: (frame: SseFrame) => boolean): Promise<SseFrame[]> {
    const frames: SseFrame[] = [];
    for (;;) {
      const frame = await this.next();
      if (!frame) throw new Error(`the stream ended after ${frames.length} frames`);
      if (frame.comment !== undefined) continue;
      frames.push(frame);
      if (done(frame)) return frames;
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

function parseFrame(block: string): SseFrame {
  const frame: SseFrame = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else {
      const colon = line.indexOf(':');
      const field = line.slice(0, colon) as 'id' | 'event' | 'data';
      const value = line.slice(colon + 1).replace(/^ /, '');
      frame[field] = frame[field] === undefined ? value : `${frame[field]}\n${value}`;
    }
  }
  return frame;
}
