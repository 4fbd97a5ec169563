import { type IncomingMessage, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { ChatqApiError, ChatqClient } from '@chatq/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from '../harness/db.ts';
import { type ServiceProcess, startService } from '../harness/processes.ts';
import { SseClient } from '../harness/sse.ts';
import { ADMIN_TOKEN, eventually, testEnv } from '../harness/stack.ts';

/** A member of the API at `admin`'s address, and its client. */
async function newMember(admin: ChatqClient): Promise<ChatqClient> {
  const created = await admin.createUser({ body: { username: uniqueName('m') } });
  return admin.as((await admin.createToken({ params: { id: created.body.user.id } })).body.token);
}

/**
 * The refusal a typed event stream is opened with. `maxReconnects: 0` makes a 429 final (the client
 * would otherwise retry it), so it ends the iteration as the cause of the error it throws; a
 * stream that opens instead ends at the timeout, failing the test rather than hanging it.
 */
async function streamRefusal(stream: AsyncGenerator<unknown>): Promise<ChatqApiError> {
  const err = await stream.next().then(
    () => undefined,
    (e: unknown) => e,
  );
  const refused = err instanceof ChatqApiError ? err : err instanceof Error ? err.cause : err;
  expect(refused).toBeInstanceOf(ChatqApiError);
  return refused as ChatqApiError;
}
const once = () => ({ maxReconnects: 0, signal: AbortSignal.timeout(10_000) });

/** Kilobytes of a process's memory from /proc: `VmRSS` (now) or `VmHWM` (its peak so far). */
function memoryKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)![1]);
}

/** Opens an event stream with node's http client, so a test can pause reading it. */
function openStream(url: string, token: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, resolve)
      .on('error', reject)
      .end();
  });
}

/** Reads a stream until the event `lastId` arrives; returns how many events came. */
function readUntil(res: IncomingMessage, lastId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let events = 0;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!frame.startsWith('id: ')) continue;
        events++;
        if (frame.startsWith(`id: ${lastId}\n`)) {
          res.destroy();
          resolve(events);
        }
      }
    });
    res.on('error', reject);
    res.on('close', () => reject(new Error(`stream closed after ${events} events`)));
    res.resume();
  });
}

describe('event streams replaying a large log', () => {
  const EVENTS = 130;
  const EVENT_CHARS = 100_000;
  const STREAMS = 40;
  let db: TestDatabase;
  let api: ServiceProcess;
  let prefix: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = uniqueName('q');
    // RSS growth on a default heap is a GC-timing number (young generation up to 64 MB here, collected
    // whenever the machine lets it): a small young generation, single-threaded GC and a 192 MB old
    // generation make it measure what the process keeps. An API that buffered the 40 replays
    // (over 500 MB) would die of heap exhaustion instead, failing the test either way.
    const env = testEnv(db, prefix, { MAX_STREAMS_PER_USER: String(STREAMS) });
    api = await startService('api', env, 0, undefined, [
      '--max-semi-space-size=1',
      '--single-threaded-gc',
      '--max-old-space-size=192',
    ]);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  it(`serves ${STREAMS} replays from ?after=0 of ${EVENTS} events of 100 KB in bounded memory`, async () => {
    const admin = new ChatqClient({ baseUrl: api.url, token: ADMIN_TOKEN });
    const member = await newMember(admin);
    const chatId = (await member.createChat({ body: { title: 'long' } })).body.chat.id;
    // Written into the chat's log directly: 13 MB of events, as long replies would leave there.
    const redis = new Redis(inject('redisUrl'));
    let lastId = '';
    let logged: number;
    try {
      const key = `${prefix}:events:chat:${chatId}`;
      for (let i = 0; i < EVENTS; i++) {
        const data = JSON.stringify({ turn_id: chatId, text: String(i % 10).repeat(EVENT_CHARS) });
        lastId = (await redis.xadd(key, '*', 't', 'message.delta', 'd', data))!;
      }
      // The chat's own events (its creation) come first.
      logged = await redis.xlen(key);
    } finally {
      redis.disconnect();
    }
    const url = `${api.url}/api/v1/chats/${chatId}/events?after=0`;
    // One replay first, so the baseline includes what any stream loads (code, pools, buffers).
    expect(await readUntil(await openStream(url, member.token!), lastId)).toBe(logged);
    const baseline = memoryKb(api.child.pid!, 'VmRSS');

    // Half the clients read at once; the other half read nothing until those are done, so the
    // server holds their streams mid-replay without buffering what they have not taken.
    const streams = await Promise.all(Array.from({ length: STREAMS }, () => openStream(url, member.token!)));
    const paused = streams.slice(STREAMS / 2);
    paused.forEach((res) => res.pause());
    const fast = await Promise.all(streams.slice(0, STREAMS / 2).map((res) => readUntil(res, lastId)));
    const grownMb = (memoryKb(api.child.pid!, 'VmRSS') - baseline) / 1024;
    const slow = await Promise.all(paused.map((res) => readUntil(res, lastId)));
    expect([...fast, ...slow]).toEqual(Array(STREAMS).fill(logged));
    const peakMb = (memoryKb(api.child.pid!, 'VmHWM') - baseline) / 1024;
    expect(grownMb, `RSS grew by ${grownMb.toFixed(0)} MB (its peak by ${peakMb.toFixed(0)} MB)`).toBeLessThan(100);
  }, 120_000);
});

describe('open event streams per user, and request timeouts', () => {
  const TIMEOUT_MS = 1_000;
  let db: TestDatabase;
  let api: ServiceProcess;
  let admin: ChatqClient;
  const opened: SseClient[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startService('api', testEnv(db, uniqueName('q'), { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) }));
    admin = new ChatqClient({ baseUrl: api.url, token: ADMIN_TOKEN });
  });
  afterAll(async () => {
    opened.forEach((c) => c.close());
    await api?.stop();
    await db?.drop();
  });

  const watch = async (client: ChatqClient) => {
    const stream = await SseClient.open(`${api.url}/api/v1/chats/watch`, client.token);
    opened.push(stream);
    return stream;
  };

  it('refuses a user’s 21st open stream with 429, and a closed one frees its slot', async () => {
    const member = await newMember(admin);
    const chatId = (await member.createChat({ body: { title: 'x' } })).body.chat.id;
    const streams = [];
    for (let i = 0; i < 10; i++) {
      streams.push(await watch(member));
      streams.push(await SseClient.open(`${api.url}/api/v1/chats/${chatId}/events`, member.token));
    }
    opened.push(...streams);
    expect(streams.map((s) => s.status)).toEqual(Array(20).fill(200));

    const refused = await streamRefusal(member.watchChats({}, once()));
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ message: 'Too many open event streams.' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await streamRefusal(member.streamChatEvents({ params: { chat_id: chatId } }, once()))).status).toBe(429);
    // Other users, and the member's other requests, are not affected.
    expect((await watch(await newMember(admin))).status).toBe(200);
    expect((await member.listChats()).status).toBe(200);

    streams[0]!.close();
    const reopened = await eventually(
      async () => {
        const stream = await watch(member);
        return stream.status === 200 ? stream : undefined;
      },
      { what: 'the closed stream’s slot to be free' },
    );
    expect(reopened.status).toBe(200);
    expect((await streamRefusal(member.watchChats({}, once()))).status).toBe(429);
  });

  /** A raw connection to the API; resolves with what the server sent once it closes the socket. */
  function rawRequest(send: (write: (text: string) => void) => void): {
    closed: Promise<{ ms: number; reply: string }>;
  } {
    const socket = connect(api.port, '127.0.0.1');
    const started = Date.now();
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (reply += chunk));
    const closed = new Promise<{ ms: number; reply: string }>((resolve) =>
      socket.on('close', () => resolve({ ms: Date.now() - started, reply })),
    );
    socket.on('error', () => {});
    socket.on('connect', () => send((text) => socket.writable && socket.write(text)));
    return { closed };
  }

  it('closes a request whose body trickles in slower than REQUEST_TIMEOUT_MS, and one whose headers do', async () => {
    const member = await newMember(admin);
    const trickle = (write: (text: string) => void, text: string) => {
      let i = 0;
      const timer = setInterval(() => (i < text.length ? write(text[i++]!) : clearInterval(timer)), 100);
      return timer;
    };
    const timers: NodeJS.Timeout[] = [];
    const slowBody = rawRequest((write) => {
      write(
        'POST /api/v1/chats HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
          `authorization: Bearer ${member.token}\r\ncontent-length: 200\r\n\r\n`,
      );
      timers.push(trickle(write, `{"title":"${'x'.repeat(185)}"}`));
    });
    const slowHeaders = rawRequest((write) =>
      timers.push(trickle(write, `GET /healthz HTTP/1.1\r\nhost: x\r\n${'x-pad: y\r\n'.repeat(20)}\r\n`)),
    );
    try {
      for (const { closed } of [slowBody, slowHeaders]) {
        const { ms, reply } = await closed;
        // Node checks timeouts once a second (connectionsCheckingInterval) at this setting.
        expect(ms).toBeLessThan(TIMEOUT_MS + 3_000);
        expect(reply === '' || reply.startsWith('HTTP/1.1 408')).toBe(true);
      }
      expect(await db.sql`select 1 from chats where title like 'xxx%'`).toHaveLength(0);
    } finally {
      timers.forEach(clearInterval);
    }
  });

  it('does not bound an event stream once it is open', async () => {
    const member = await newMember(admin);
    const stream = await watch(member);
    expect(stream.status).toBe(200);
    // A request cut off by the timeout shows the server has checked it since the stream opened.
    const { closed } = rawRequest((write) =>
      write('POST /api/v1/chats HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n{'),
    );
    expect((await closed).ms).toBeGreaterThanOrEqual(TIMEOUT_MS);
    await member.createChat({ body: { content: 'still there?' } });
    await stream.until(
      (events) => events.some((e) => e.event === 'chat.status'),
      'a chat.status event on the open stream',
    );
  });
});
