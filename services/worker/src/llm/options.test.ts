import { describe, expect, it } from 'vitest';
import { callSettings } from './options.ts';

describe('callSettings', () => {
  it.each([
    ['nothing set', {}, {}, {}],
    ['snake_case becomes the SDK names', { top_p: 0.9, top_k: 40 }, {}, { topP: 0.9, topK: 40 }],
    [
      'model options override provider options',
      { temperature: 0.1, seed: 1 },
      { temperature: 0.8 },
      { temperature: 0.8, seed: 1 },
    ],
    [
      'penalties and stop sequences',
      {},
      { presence_penalty: 0.5, frequency_penalty: -0.5, stop: 'END' },
      { presencePenalty: 0.5, frequencyPenalty: -0.5, stopSequences: ['END'] },
    ],
    ['headers pass through', { headers: { 'x-title': 'chatq' } }, {}, { headers: { 'x-title': 'chatq' } }],
    ['the OpenAI API to speak', { api: 'responses' }, {}, { api: 'responses' }],
    ['keys of other layers are ignored', { latency_ms: 50 }, { something_else: true }, {}],
  ])('%s', (_name, provider, model, expected) => {
    expect(callSettings(provider, model)).toEqual(expected);
  });

  it.each([
    [{ temperature: 'hot' }, /invalid option temperature/],
    [{ top_p: 2 }, /invalid option top_p/],
    [{ stop: [1, 2] }, /invalid option stop/],
    [{ api: 'assistants' }, /invalid option api/],
  ])('refuses %j as a configuration error', (options, message) => {
    expect(() => callSettings({}, options)).toThrow(message);
    expect(() => callSettings({}, options)).toThrow(expect.objectContaining({ name: 'ProviderConfigError' }));
  });
});
