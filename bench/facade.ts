// The OpenAI facade's cost (bench/run.ts): a streamed chat completion through `/openai/v1` beside
// what a native client does for the same answer, a create with the message plus its reply read
// from the chat's event stream. Both run the same mock turn on the same worker; each request is
// timed from its send to the end of its reply (`data: [DONE]`, or the turn's `completed` event).

/** Latencies of one side, in ms. */
export interface FacadeSide {
  perSec: number;
  p50: number;
  p99: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** `n` calls of `call`, `concurrency` at a time; every one must succeed. */
async function drive(n: number, concurrency: number, call: () => Promise<void>): Promise<FacadeSide> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) {
        const t0 = performance.now();
        await call();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSec: n / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** Reads a response body until `done` says its text so far is complete. */
async function readUntil(res: Response, done: (text: string) => boolean, what: string): Promise<void> {
  if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  let text = '';
  for (;;) {
    const { value, done: ended } = await reader.read();
    if (ended) throw new Error(`${what}: the stream ended early`);
    text += decoder.decode(value, { stream: true });
    if (done(text)) {
      await reader.cancel();
      return;
    }
  }
}

/**
 * Measures `n` streamed chat completions and `n` native creates-plus-reply against the API at
 * `url` (with a worker running), `concurrency` at a time, alternating sides in two rounds and
 * keeping each side's best.
 */
export async function measureFacade(
  url: string,
  token: string,
  model: string,
  n: number,
  concurrency: number,
): Promise<{ facade: FacadeSide; native: FacadeSide }> {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const facade = async () => {
    const res = await fetch(`${url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hello' }] }),
    });
    await readUntil(res, (text) => text.includes('data: [DONE]'), 'chat completion');
  };
  const native = async () => {
    const created = await fetch(`${url}/api/v1/chats`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ content: 'hello', model_config_id: model }),
    });
    if (created.status !== 201) throw new Error(`create: ${created.status}`);
    const { chat, turn } = (await created.json()) as { chat: { id: string }; turn: { id: string } };
    const events = await fetch(`${url}/api/v1/chats/${chat.id}/events?after=0`, { headers: auth });
    const completed = `"turn_id":"${turn.id}","status":"completed"`;
    await readUntil(events, (text) => text.includes(completed), 'event stream');
  };
  const best: { facade?: FacadeSide; native?: FacadeSide } = {};
  for (const round of [0, 1]) {
    for (const side of round === 0 ? (['facade', 'native'] as const) : (['native', 'facade'] as const)) {
      const run = await drive(n, concurrency, side === 'facade' ? facade : native);
      if (!best[side] || run.perSec > best[side].perSec) best[side] = run;
    }
  }
  return best as { facade: FacadeSide; native: FacadeSide };
}
