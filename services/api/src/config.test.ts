import { ConfigError } from '@chatq/platform';
import { describe, expect, it } from 'vitest';
import { loadApiConfig } from './config.ts';

const env = (extra: Record<string, string>) => ({ CHATQ_SECRET_KEY: '00'.repeat(32), ...extra });

describe('CORS_ORIGINS', () => {
  it('is off when unset or empty', () => {
    expect(loadApiConfig(env({})).corsOrigins).toBeUndefined();
    expect(loadApiConfig(env({ CORS_ORIGINS: '' })).corsOrigins).toBeUndefined();
  });

  it('reads comma-separated origins, or * alone for any', () => {
    expect(loadApiConfig(env({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' })).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    expect(loadApiConfig(env({ CORS_ORIGINS: '*' })).corsOrigins).toBe('*');
  });

  it.each(['app.example.com', 'https://app.example.com/', 'https://App.example.com', '*, https://app.example.com'])(
    'refuses %s at boot, naming the variable: browsers would never send it as Origin',
    (value) => {
      expect(() => loadApiConfig(env({ CORS_ORIGINS: value }))).toThrow(ConfigError);
      expect(() => loadApiConfig(env({ CORS_ORIGINS: value }))).toThrow(/CORS_ORIGINS: .* is not an origin/);
    },
  );
});
