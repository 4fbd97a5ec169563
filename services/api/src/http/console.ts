import { build } from 'esbuild';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const consoleDir = (path: string) => fileURLToPath(new URL(`../../console/${path}`, import.meta.url));

/**
 * What the console's pages may do: run and style only what this origin serves (no inline script or
 * style, nothing from elsewhere), talk only to this origin, never be framed or post forms.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The console's script: its TypeScript sources, Preact, htm and the typed client (from its sources,
 * so it is always the route table of this very API) bundled by esbuild into one ES module, in
 * memory, on the first request (a few hundred ms once per process; no build step, no file written).
 */
function bundle(): Promise<string> {
  return build({
    entryPoints: [consoleDir('src/main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    // The client is a workspace package the API does not depend on at run time: its sources.
    alias: { '@chatq/client': fileURLToPath(new URL('../../../../libs/client/src/index.ts', import.meta.url)) },
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]!.text);
}

function asset(reply: FastifyReply, type: string, body: string) {
  return reply
    .type(type)
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(body);
}

/**
 * The web console at `/`: one HTML page, one stylesheet and one script, all from this process (works
 * offline). It signs in with a token and then uses only the public API, like any other client.
 */
export function registerConsole(app: FastifyInstance): void {
  const html = readFileSync(consoleDir('index.html'), 'utf8');
  const css = readFileSync(consoleDir('console.css'), 'utf8');
  let script: Promise<string> | undefined;
  void app.register(async (scope) => {
    scope.get('/', { logLevel: 'warn' }, (_request, reply) => asset(reply, 'text/html; charset=utf-8', html));
    scope.get('/console/console.css', { logLevel: 'warn' }, (_request, reply) => asset(reply, 'text/css', css));
    scope.get('/console/console.js', { logLevel: 'warn' }, async (_request, reply) => {
      // A failed build is not cached: the next request tries again (and the error is logged once each).
      script ??= bundle().catch((err: unknown) => {
        script = undefined;
        throw err;
      });
      return asset(reply, 'text/javascript; charset=utf-8', await script);
    });
  });
}
