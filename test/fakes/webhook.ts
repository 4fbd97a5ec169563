import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call a webhook received: its headers and raw body, and when its connection closed. */
export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  /** Set when the caller dropped the connection before an answer (an abort). */
  abortedAt?: number;
}

/** How the webhook answers one call; `hang` never answers (until the caller gives up). */
export type WebhookAnswer = { status?: number; json?: unknown; text?: string; contentType?: string } | { hang: true };

/** A webhook tool's server on 127.0.0.1: answers each call as `answer` says, records every call. */
export interface FakeWebhook {
  url: string;
  received: WebhookRequest[];
  /** How the next calls are answered, by call index; the default answers `{ok: true, name}`. */
  answer: (fn: (req: WebhookRequest, index: number) => WebhookAnswer) => void;
  close: () => Promise<void>;
}

export async function startFakeWebhook(): Promise<FakeWebhook> {
  const received: WebhookRequest[] = [];
  let answer = (req: WebhookRequest, _index: number): WebhookAnswer => ({ json: { ok: true, name: req.body?.name } });
  const open = new Set<ServerResponse>();
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const entry: WebhookRequest = { headers: req.headers, raw, body: JSON.parse(raw || 'null') };
      const index = received.push(entry) - 1;
      res.on('close', () => {
        if (!res.writableFinished) entry.abortedAt = Date.now();
        open.delete(res);
      });
      open.add(res);
      const a = answer(entry, index);
      if ('hang' in a) return;
      const body = a.json !== undefined ? JSON.stringify(a.json) : (a.text ?? '');
      const type = a.contentType ?? (a.json !== undefined ? 'application/json' : 'text/plain');
      res.writeHead(a.status ?? 200, { 'content-type': type }).end(body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answer: (fn) => {
      answer = fn;
    },
    close: async () => {
      for (const res of open) res.destroy();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
