// The OpenAI facade's cost (bench/run.ts): a streamed chat completion through `/openai/v1` beside
// what a native client does for the same answer, a create with the message plus its reply read
// from the chat's event stream. Both run the same mock turn on the same worker; each request is
// timed from its send to the end of its reply (`data: [DONE]`, or the turn's `completed` event).
import { alternate, eachAtMost, medianOf, paired, percentile, type Throughput } from './stats.ts';

/** One side's rate and latencies (ms): the median of its rounds. */
export type FacadeSide = Throughput;

/** Both sides, and the facade's rate as a fraction of the native client's (median of per-round ratios). */
export interface FacadeMeasure {
  facade: FacadeSide;
  native: FacadeSide;
  ratio: number;
}

/** `n` calls of `call`, `concurrency` at a time; every one must succeed. */
async function drive(n: number, concurrency: number, call: () => Promise<void>): Promise<FacadeSide> {
  const latencies: number[] = [];
  const started = performance.now();
  await eachAtMost(Array.from({ length: n }), concurrency, async () => {
    const t0 = performance.now();
    await call();
    latencies.push(performance.now() - t0);
  });
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
 * `url` (with a worker running), `concurrency` at a time, in `rounds` alternated rounds; each
 * figure is its median.
 */
export async function measureFacade(
  url: string,
  token: string,
  model: string,
  n: number,
  concurrency: number,
  rounds: number,
): Promise<FacadeMeasure> {
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
  const runs = await alternate(['facade', 'native'] as const, rounds, (side) =>
    drive(n, concurrency, side === 'facade' ? facade : native),
  );
  const rates = paired(
    runs.facade.map((r) => r.perSec),
    runs.native.map((r) => r.perSec),
  );
  return { facade: medianOf(runs.facade), native: medianOf(runs.native), ratio: rates.ratio };
}
