import { describe, expect, it } from 'vitest';
import { classifyError, parseRetryAfter } from './classify.ts';
import { ProviderConfigError } from './errors.ts';

/** An HTTP error as the AI SDK's APICallError carries it. */
const http = (statusCode: number, responseBody = '', responseHeaders: Record<string, string> = {}, message = '') =>
  Object.assign(new Error(message || `status ${statusCode}`), {
    name: 'AI_APICallError',
    statusCode,
    responseBody,
    responseHeaders,
  });

const socket = (code: string) =>
  Object.assign(new TypeError('terminated'), { cause: Object.assign(new Error('other side closed'), { code }) });

describe('classifyError', () => {
  it.each([
    [
      '429 with retry-after',
      http(429, '', { 'retry-after': '3' }),
      { kind: 'rate_limited', retryable: true, retryAfterMs: 3000 },
    ],
    [
      '429 with retry-after-ms',
      http(429, '', { 'retry-after-ms': '250' }),
      { kind: 'rate_limited', retryable: true, retryAfterMs: 250 },
    ],
    ['408', http(408), { kind: 'timeout', retryable: true }],
    ['500', http(500), { kind: 'server', retryable: true, message: 'provider server error (500)' }],
    ['502', http(502), { kind: 'server', retryable: true }],
    [
      '503 with retry-after',
      http(503, '', { 'Retry-After': '1' }),
      { kind: 'server', retryable: true, retryAfterMs: 1000 },
    ],
    ['529', http(529), { kind: 'overloaded', retryable: true }],
    [
      'overloaded body',
      http(503, '{"type":"error","error":{"type":"overloaded_error"}}'),
      { kind: 'overloaded', retryable: true },
    ],
    ['401', http(401), { kind: 'auth', retryable: false, message: 'provider rejected the API key (401)' }],
    ['403', http(403), { kind: 'auth', retryable: false, message: 'provider rejected the API key (403)' }],
    [
      'Google 400 bad key',
      http(400, '{"error":{"message":"API key not valid. Please pass a valid API key."}}'),
      { kind: 'auth', retryable: false },
    ],
    [
      '404 naming the model',
      http(404, '{"error":{"message":"The model `gpt-x` does not exist","code":"model_not_found"}}'),
      { kind: 'model_not_found', retryable: false, message: 'model not found: gpt-x' },
    ],
    [
      'Ollama 404',
      http(404, '{"error":"model \'gpt-x\' not found, try pulling it first"}'),
      { kind: 'model_not_found', retryable: false },
    ],
    [
      '404 from a wrong base_url',
      http(404, '<html><body>404 Not Found</body></html>', {}, 'Not Found'),
      { kind: 'endpoint_not_found', retryable: false, message: 'provider endpoint not found (404): check base_url' },
    ],
    [
      'OpenAI context length',
      http(400, '{"error":{"code":"context_length_exceeded"}}'),
      { kind: 'context_too_long', retryable: false },
    ],
    [
      'Anthropic prompt too long',
      http(400, '', {}, 'prompt is too long: 250000 tokens > 200000 maximum'),
      { kind: 'context_too_long', retryable: false },
    ],
    ['413', http(413), { kind: 'context_too_long', retryable: false }],
    [
      'other 400',
      http(400, '', {}, "Invalid value for 'temperature'"),
      {
        kind: 'bad_request',
        retryable: false,
        message: "provider rejected the request (400): Invalid value for 'temperature'",
      },
    ],
    ['connection reset', socket('ECONNRESET'), { kind: 'network', retryable: true }],
    ['undici socket error', socket('UND_ERR_SOCKET'), { kind: 'network', retryable: true }],
    [
      'connection refused',
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      }),
      { kind: 'network', retryable: true },
    ],
    [
      'timeout signal',
      new DOMException('The operation timed out.', 'TimeoutError'),
      { kind: 'timeout', retryable: true },
    ],
    ['abort', new DOMException('This operation was aborted', 'AbortError'), { kind: 'aborted', retryable: false }],
    [
      'stream ended early',
      Object.assign(new Error('x'), { name: 'IncompleteStreamError' }),
      { kind: 'network', retryable: true },
    ],
    [
      'streamed overloaded_error',
      { type: 'overloaded_error', message: 'Overloaded' },
      { kind: 'overloaded', retryable: true },
    ],
    ['streamed server_error', { type: 'server_error', message: 'oops' }, { kind: 'server', retryable: true }],
    [
      'Responses in-stream error',
      { type: 'error', sequence_number: 4, code: 'server_error', message: 'oops' },
      { kind: 'server', retryable: true },
    ],
    [
      'nested in-stream error',
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      { kind: 'overloaded', retryable: true },
    ],
    [
      'streamed invalid_request_error',
      { type: 'invalid_request_error', message: 'bad' },
      { kind: 'bad_request', retryable: false },
    ],
    [
      'missing key',
      Object.assign(new Error('OpenAI API key is missing'), { name: 'AI_LoadAPIKeyError' }),
      { kind: 'auth', retryable: false },
    ],
    [
      'bad configuration',
      new ProviderConfigError('openai-compatible provider needs a base_url'),
      { kind: 'bad_request', retryable: false, message: 'openai-compatible provider needs a base_url' },
    ],
    [
      'a RetryError around a 429',
      Object.assign(new Error('retries'), { lastError: http(429) }),
      { kind: 'rate_limited', retryable: true },
    ],
    [
      'anything else',
      new Error('kaboom'),
      { kind: 'unknown', retryable: false, message: 'provider call failed: kaboom' },
    ],
  ])('%s', (_name, err, expected) => {
    expect(classifyError(err, 'gpt-x')).toMatchObject(expected);
  });

  it('never echoes the provider message of an auth error, which may quote the key', () => {
    const c = classifyError(http(401, '', {}, 'Incorrect API key provided: sk-live-abc123'));
    expect(c.message).not.toContain('sk-live');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }, 10_000],
    [{ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, 0],
    [{ 'retry-after-ms': '120', 'retry-after': '9' }, 120],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
    [undefined, undefined],
  ])('%j -> %s', (headers, expected) => {
    expect(parseRetryAfter(headers, now)).toBe(expected);
  });
});
