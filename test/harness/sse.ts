import { ChatEvent } from '@chatq/contracts';
import { eventually } from './stack.ts';

/** One received Server-Sent Event, data parsed as JSON. */
export interface SseEvent {
  id: string;
  event: string;
  data: any;
}

/**
 * A test's SSE connection: collects events and comments as they arrive. Every event must match its
 * schema in libs/contracts (events.ts); one that does not fails the read.
 */
export class SseClient {
  readonly status: number;
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  private readonly controller: AbortController;
  /** Settles when the server ends the stream or the client closes it. */
  readonly ended: Promise<void>;

  private constructor(status: number, controller: AbortController, body: ReadableStream<Uint8Array> | null) {
    this.status = status;
    this.controller = controller;
    this.ended = body ? this.read(body) : Promise.resolve();
  }

  /** Opens `url`; a non-200 answer is returned with its status and no events. */
  static async open(url: string, token: string | undefined, headers: Record<string, string> = {}): Promise<SseClient> {
    const controller = new AbortController();
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      signal: controller.signal,
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return new SseClient(res.status, controller, null);
    }
    return new SseClient(res.status, controller, res.body);
  }

  of(type: string): SseEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  /** Waits until `check` holds for the events so far. */
  async until(check: (events: SseEvent[]) => boolean, what: string, timeoutMs = 15_000): Promise<SseEvent[]> {
    return eventually(async () => (check(this.events) ? this.events : undefined), { timeoutMs, what });
  }

  close(): void {
    this.controller.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  }

  private parse(block: string): void {
    const event: Partial<SseEvent> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id: ')) event.id = line.slice(4);
      else if (line.startsWith('event: ')) event.event = line.slice(7);
      else if (line.startsWith('data: ')) event.data = JSON.parse(line.slice(6));
    }
    if (!event.event) return;
    ChatEvent.parse({ type: event.event, data: event.data });
    this.events.push(event as SseEvent);
  }
}
