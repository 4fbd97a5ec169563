import { type FakeProvider, type FakeUsage, type Protocol, startFake } from './server.ts';

const sse = (data: unknown): string => `data: ${JSON.stringify(data)}\r\n\r\n`;

const ERRORS: Record<number, { status: string; message: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'API key not valid. Please pass a valid API key.' },
  401: { status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.' },
  403: { status: 'PERMISSION_DENIED', message: 'Permission denied on resource project.' },
  404: { status: 'NOT_FOUND', message: 'models/no-such-model is not found for API version v1beta.' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' },
  500: { status: 'INTERNAL', message: 'An internal error has occurred.' },
  503: { status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
};

const ROUTE = /\/models\/([^/:]+):streamGenerateContent$/;

/**
 * Gemini API generateContent streaming (`POST {base}/models/{model}:streamGenerateContent?alt=sse`,
 * key in `x-goog-api-key`): each SSE event is a GenerateContentResponse; the last carries
 * finishReason and the full usageMetadata.
 */
export const googleProtocol: Protocol = {
  route: (method, path) => {
    const match = method === 'POST' ? ROUTE.exec(path) : null;
    return match ? { model: decodeURIComponent(match[1]!) } : undefined;
  },
  key: (headers) => headers['x-goog-api-key'] as string | undefined,
  messages: (body) =>
    (body.contents as { role: string; parts: { text?: string }[] }[]).map((c) => ({
      role: c.role === 'model' ? 'assistant' : c.role,
      content: c.parts.map((p) => p.text ?? '').join(''),
    })),
  events(model, chunks, usage: FakeUsage, _body, complete) {
    const out = chunks.map((text) =>
      sse({
        candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }],
        usageMetadata: { promptTokenCount: usage.input, totalTokenCount: usage.input },
        modelVersion: model,
      }),
    );
    if (!complete) return out;
    out.push(
      sse({
        candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
        usageMetadata: {
          promptTokenCount: usage.input,
          candidatesTokenCount: usage.output,
          totalTokenCount: usage.input + usage.output + (usage.reasoning ?? 0),
          ...(usage.cacheRead ? { cachedContentTokenCount: usage.cacheRead } : {}),
          ...(usage.reasoning ? { thoughtsTokenCount: usage.reasoning } : {}),
        },
        modelVersion: model,
      }),
    );
    return out;
  },
  /** Gemini sends whole `functionCall` parts (no ids, no argument deltas), finishReason STOP. */
  toolCallEvents(model, calls, usage) {
    return [
      sse({
        candidates: [
          {
            content: { parts: calls.map((c) => ({ functionCall: { name: c.name, args: c.input } })), role: 'model' },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: {
          promptTokenCount: usage.input,
          candidatesTokenCount: usage.output,
          totalTokenCount: usage.input + usage.output,
        },
        modelVersion: model,
      }),
    ];
  },
  error(status, message) {
    const known = ERRORS[status] ?? ERRORS[500]!;
    return { body: { error: { code: status, message: message ?? known.message, status: known.status } } };
  },
  streamError: (kind) => {
    const status = kind === 'overloaded' ? 503 : 500;
    return sse({ error: { code: status, message: ERRORS[status]!.message, status: ERRORS[status]!.status } });
  },
};

export const startFakeGoogle = (): Promise<FakeProvider> => startFake(googleProtocol);
