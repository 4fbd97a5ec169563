import { ChatqApiError, ChatqClient } from '@chatq/client';

const client = new ChatqClient({ baseUrl: process.env.CHATQ_URL!, token: process.env.CHATQ_TOKEN });

const { body } = await client.createChat({ body: { title: 'Trip plans' } });
const chat_id = body.chat.id;

// A send answers 201 (the turn starts) or 202 (queued behind the live turn): narrow on status.
const sent = await client.sendMessage({
  params: { chat_id },
  body: { content: 'Plan a weekend in Lisbon' },
  headers: { 'idempotency-key': crypto.randomUUID() }, // safe to retry
});
const turnId = sent.status === 201 ? sent.body.turn.id : undefined;
console.log(sent.status === 201 ? `turn ${turnId} started` : `queued as ${sent.body.queued_message.id}`);

// The reply as the model writes it; a dropped connection resumes where it left off.
let reply = '';
for await (const event of client.streamChatEvents({ params: { chat_id }, query: { after: '0' } })) {
  if (event.type === 'message.delta' && event.data.turn_id === turnId) reply += event.data.text;
  if (event.type === 'message.completed' && event.data.turn_id === turnId) break;
}
console.log(`assistant: ${reply}`);

// Refusals throw, with the status, the error body and the headers.
try {
  await client.getChat({ params: { chat_id: crypto.randomUUID() } });
} catch (err) {
  if (!(err instanceof ChatqApiError)) throw err;
  console.log(`${err.status} ${err.body.message}`);
}
