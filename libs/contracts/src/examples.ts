/**
 * The one example conversation every OpenAPI example draws on: ids that look like the UUIDv7s
 * Postgres issues, times in order, so `/docs` reads like a real exchange.
 */
export const EXAMPLE = {
  adminId: '0197a3b0-0c1d-7e2f-8a3b-4c5d6e7f8a90',
  userId: '0197a3b0-5d2e-7f30-9b4c-5d6e7f8a9b01',
  providerId: '0197a3b1-1a2b-7c3d-8e4f-5a6b7c8d9e02',
  modelConfigId: '0197a3b1-3c4d-7e5f-9a6b-7c8d9e0f1a03',
  chatId: '0197a3c2-5b1e-7c4d-9f00-2a6b8c1d3e04',
  messageId: '0197a3c2-5b20-7a11-8c22-3d4e5f6a7b05',
  replyId: '0197a3c2-6e01-7b12-9d23-4e5f6a7b8c06',
  turnId: '0197a3c2-5b21-7f33-a044-5f6a7b8c9d07',
  queuedId: '0197a3c2-7f02-7c13-ae24-5f6a7b8c9d08',
  tokenId: '0197a3b0-6e3f-7a41-8c5d-6e7f8a9b0c09',
  toolId: '0197a3b2-2b3c-7d4e-8f5a-6b7c8d9e0f09',
  mcpServerId: '0197a3b2-4d5e-7f6a-9b7c-8d9e0f1a2b10',
  toolCallId: 'call_0197a3c2a1',
  eventId: '1750000000123-0',
  createdAt: '2025-06-15T09:30:00.000Z',
  startedAt: '2025-06-15T09:30:00.120Z',
  finishedAt: '2025-06-15T09:30:02.480Z',
  token: 'cq_5JxQ2mV8kLr0aZ3nT7yB1cWd9EfGhUiO4pSs6',
} as const;
