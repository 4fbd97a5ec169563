import { ChatqClient } from './index.ts';
const c = new ChatqClient({ baseUrl: 'x' });
export async function f() {
  const r = await c.sendMessage({ params: { chat_id: 'a' }, body: { content: 'x' }, headers: { 'idempotency-key': 'k' } });
  if (r.status === 201) { const t: string = r.body.turn.id; void t; } else { const q: string = r.body.queued_message.id; void q; }
  const h = await c.getHealth();
  const ready = await c.getReadiness();
  const rs: 200 | 503 = ready.status;
  const l = await c.listChats({ query: { limit: 3, archived: true } });
  l.body.data[0]?.title;
  const d = await c.deleteChat({ params: { chat_id: 'x' } });
  const n: null = d.body;
  const tok = await c.createToken({ params: { id: 'x' } });
  tok.body.token;
  await c.testProvider({ params: { id: 'x' } });
  for await (const e of c.streamChatEvents({ params: { chat_id: 'x' }, query: { after: '0' } })) {
    if (e.type === 'message.delta') { const s: string = e.data.text + e.id; void s; }
  }
  for await (const e of c.watchChats()) e.data.status;
  for await (const chat of c.paginate('listChats', { query: { limit: 2 } })) chat.title;
  for await (const m of c.paginate('listMessages', { params: { chat_id: 'x' } })) m.content;
  // @ts-expect-error body required
  await c.sendMessage({ params: { chat_id: 'a' } });
  // @ts-expect-error no such header on GET
  await c.getChat({ params: { chat_id: 'a' }, headers: { 'idempotency-key': 'k' } });
  // @ts-expect-error streams are not pageable
  c.paginate('streamChatEvents');
  return [h.body.status, rs, n];
}
export async function g() {
  const r = await c.sendMessage({ params: { chat_id: 'a' }, body: { content: 'x' } });
  // @ts-expect-error not narrowed
  r.body.turn;
  // @ts-expect-error no such status
  if (r.status === 200) return;
  // @ts-expect-error bad query field type
  await c.listChats({ query: { limit: {} } });
}
