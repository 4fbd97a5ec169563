/** One Server-Sent Event as the wire carries it, before its data is read as JSON. */
export interface SseMessage {
  /** The `id:` of the event, or the last one the stream set (the SSE "last event ID"). */
  id: string;
  /** The `event:` field; `message` when absent. */
  event: string;
  /** Every `data:` line of the event, joined with newlines. */
  data: string;
}

/**
 * An incremental parser of the `text/event-stream` format (WHATWG HTML, "Server-sent events"):
 * feed it decoded text in chunks of any size; it hands back each event once a blank line ends it,
 * and remembers the last `retry:` delay the server asked for. Comments (`:` lines, heartbeats) are
 * skipped.
 */
export class SseParser {
  /** The reconnection delay the server last sent with `retry:`, in ms (undefined until it does). */
  retryMs: number | undefined;
  #lastEventId = '';
  #buffer = '';
  #event = '';
  #data: string[] = [];

  /** Parses `chunk` and returns the events it completed. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const out: SseMessage[] = [];
    // A line ends at CRLF, LF or CR; a trailing CR may be the first half of a CRLF, so it waits.
    const lineEnd = /\r\n|\n|\r(?!$)/g;
    let start = 0;
    for (let m = lineEnd.exec(this.#buffer); m; m = lineEnd.exec(this.#buffer)) {
      const message = this.#line(this.#buffer.slice(start, m.index));
      if (message) out.push(message);
      start = m.index + m[0].length;
    }
    this.#buffer = this.#buffer.slice(start);
    return out;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    const message =
      this.#data.length > 0
        ? { id: this.#lastEventId, event: this.#event || 'message', data: this.#data.join('\n') }
        : undefined;
    this.#event = '';
    this.#data = [];
    return message;
  }
}
