/** One complete server-sent event: its type ('message' unless an `event:` field said otherwise) and data. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * An incremental server-sent-events parser: feed it text as it arrives, get back each complete
 * event (multi-line `data:` fields joined with newlines). Comments and `id:`/`retry:` are ignored.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';

  /** Adds a chunk of the stream; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone \r at the end may be half of \r\n: wait for more.
      if (this.buffer[nl] === '\r' && nl + 1 === this.buffer.length) break;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.data = [];
        this.event = '';
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line[5] === ' ' ? 6 : 5));
      } else if (line.startsWith('event:')) {
        this.event = line.slice(line[6] === ' ' ? 7 : 6);
      }
    }
    return out;
  }
}
