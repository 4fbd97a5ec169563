import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/**
 * Compresses responses of 1 KiB or more (lists, the OpenAPI document) with br or gzip when the
 * client accepts it. Smaller ones, the hot path's, go out as they are: compressing them would cost
 * more time than the bytes save. Event streams never are (the plugin skips text/event-stream, and
 * they bypass it anyway by writing to the socket), so each event reaches the client as it happens.
 * Only responses: request bodies are still taken as sent, never decompressed.
 */
export function registerCompression(app: FastifyInstance): void {
  void app.register(compress, {
    threshold: 1_024,
    // br first: smaller at the plugin's quality 4, about as fast as gzip.
    encodings: ['br', 'gzip'],
    globalDecompression: false,
  });
}
