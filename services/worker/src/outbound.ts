import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { Agent, RequestInit as UndiciRequestInit } from 'undici';

/**
 * The worker's stance on calls to URLs that users configure (provider `base_url`s today, webhooks
 * later): what it may connect to, which redirects it follows, and how much of a response it reads.
 */

/** A call the worker refused to make: a forbidden address or redirect. Never worth a retry. */
export class OutboundRefusedError extends Error {
  override name = 'OutboundRefusedError';
}

/** A response the worker stopped reading because it grew past its bound. Never worth a retry. */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

/** What outbound calls may reach. */
export interface OutboundPolicy {
  /** Link-local addresses (169.254.0.0/16, fe80::/10) are where cloud metadata services answer. */
  allowLinkLocal: boolean;
  /** The setting that allows them, named in the refusal so an operator knows what to change. */
  allowLinkLocalSetting: string;
}

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

/**
 * Why the worker may not connect to the IP `address`, or undefined when it may. Loopback and
 * private addresses are allowed: a model server on localhost or the LAN is a normal deployment.
 * IPv4-mapped IPv6 addresses (::ffff:169.254.169.254) are judged as the IPv4 address they carry.
 */
export function refuseAddress(address: string, policy: OutboundPolicy): string | undefined {
  if (policy.allowLinkLocal) return undefined;
  const family = isIP(address);
  if (family === 0 || !LINK_LOCAL.check(address, family === 6 ? 'ipv6' : 'ipv4')) return undefined;
  return (
    `refusing to connect to link-local address ${address} (where cloud metadata services answer); ` +
    `set ${policy.allowLinkLocalSetting}=true to allow it`
  );
}

/** Resolves a host name to all its addresses, as `dns.lookup` with `all: true` does. */
export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * DNS lookup for sockets that refuses a name resolving to a forbidden address. Checking the address
 * the socket will connect to, not an earlier lookup of the same name, leaves no DNS-rebinding gap.
 */
function guardedLookup(policy: OutboundPolicy, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const refusal = addresses.map((a) => refuseAddress(a.address, policy)).find(Boolean);
      if (refusal) return callback(new OutboundRefusedError(`${hostname}: ${refusal}`), '', 0);
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      callback(null, first?.address ?? '', first?.family ?? 0);
    });
  };
}

/** How much of a response the worker reads. */
export interface ResponseBounds {
  /** An error response's body is read up to this many bytes, then the connection is dropped. */
  maxErrorBodyBytes: number;
  /** A successful response is a stream of lines (SSE); none may be longer than this. */
  maxLineBytes: number;
}

/** The bound on error bodies: enough for any real provider error, a fraction of a hostile one. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Same-origin redirects followed before giving up; real APIs need one at most. */
const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The first `maxBytes` of `body`; the rest is never read (cancelling drops the connection). */
function truncate(body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let read = 0;
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      const room = maxBytes - read;
      read += value.byteLength;
      controller.enqueue(value.byteLength > room ? value.subarray(0, room) : value);
      if (read >= maxBytes) {
        controller.close();
        await reader.cancel();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** `body` as it comes, erroring (and dropping the connection) once a line grows past `maxLineBytes`. */
function limitLines(body: ReadableStream<Uint8Array>, maxLineBytes: number): ReadableStream<Uint8Array> {
  let line = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        let start = 0;
        for (let nl = chunk.indexOf(0x0a); ; nl = chunk.indexOf(0x0a, start)) {
          line += (nl === -1 ? chunk.byteLength : nl) - start;
          if (line > maxLineBytes) {
            return controller.error(new ResponseTooLargeError(`response line exceeded ${maxLineBytes} bytes`));
          }
          if (nl === -1) break;
          line = 0;
          start = nl + 1;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}

/** Refuses a URL whose host is a forbidden IP literal, before any connection (no DNS involved). */
function checkUrl(url: URL, policy: OutboundPolicy): void {
  const refusal = refuseAddress(url.hostname.replace(/^\[|\]$/g, ''), policy);
  if (refusal) throw new OutboundRefusedError(refusal);
}

/** The request a redirect asks for: 303, and 301/302 after a POST, turn into a bodiless GET. */
function redirected(status: number, init: UndiciRequestInit): UndiciRequestInit {
  const method = (init.method ?? 'GET').toUpperCase();
  if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
    return { ...init, method: 'GET', body: undefined };
  }
  return init;
}

/**
 * A `fetch` for calls to user-configured URLs, under `policy`: forbidden addresses are refused
 * whether named by IP or by a DNS name, redirects are followed only within the same origin (a
 * redirect elsewhere is refused, so a trusted host cannot bounce the call, its API key included, to
 * another), error bodies are read up to `maxErrorBodyBytes`, and successful bodies may not carry a
 * line longer than `maxLineBytes`. Takes a URL and an init; a `Request` object is not supported.
 * `resolve` is the system resolver unless a test names hosts of its own.
 */
export function createSafeFetch(
  policy: OutboundPolicy,
  bounds: ResponseBounds,
  resolve: Resolver = dnsLookup,
): typeof globalThis.fetch {
  // undici (~30 MB) loads on the first call: a worker that only runs the mock never needs it.
  let client: Promise<{ dispatcher: Agent; undiciFetch: typeof import('undici').fetch }> | undefined;
  const load = () =>
    (client ??= import('undici').then(({ Agent, fetch }) => ({
      dispatcher: new Agent({ connect: { lookup: guardedLookup(policy, resolve) } }),
      undiciFetch: fetch,
    })));
  return async (input, init) => {
    if (input instanceof Request) throw new TypeError('safe fetch takes a URL and an init, not a Request');
    const { dispatcher, undiciFetch } = await load();
    let url = new URL(input);
    let request = { ...(init as UndiciRequestInit | undefined), redirect: 'manual' as const, dispatcher };
    for (let redirects = 0; ; redirects++) {
      checkUrl(url, policy);
      const response = await undiciFetch(url, request);
      const location = response.headers.get('location');
      if (REDIRECTS.has(response.status) && location !== null) {
        await response.body?.cancel();
        const next = new URL(location, url);
        if (next.origin !== url.origin) {
          throw new OutboundRefusedError(`refusing a redirect from ${url.origin} to another origin (${next.origin})`);
        }
        if (redirects === MAX_REDIRECTS) throw new OutboundRefusedError(`more than ${MAX_REDIRECTS} redirects`);
        request = { ...redirected(response.status, request), redirect: 'manual', dispatcher };
        url = next;
        continue;
      }
      const body =
        response.body &&
        (response.ok
          ? limitLines(response.body, bounds.maxLineBytes)
          : truncate(response.body, bounds.maxErrorBodyBytes));
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: new Headers([...response.headers]),
      });
    }
  };
}
