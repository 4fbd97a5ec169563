import { describe, expect, it } from 'vitest';
import { auditChanges } from './audit.ts';

const at = new Date('2025-06-15T09:30:00.000Z');
const later = new Date('2025-06-15T10:00:00.000Z');
const key = Buffer.from('sealed-key');

describe('auditChanges', () => {
  it.each([
    {
      name: 'a creation shows the whole new row, secrets sealed, times as ISO',
      before: null,
      after: { id: 'p1', api_key: key, base_url: null, created_at: at },
      changes: {
        before: null,
        after: { id: 'p1', api_key: '[sealed]', base_url: null, created_at: at.toISOString() },
      },
    },
    {
      name: 'a removal shows the whole old row',
      before: { id: 'p1', token_hash: key },
      after: null,
      changes: { before: { id: 'p1', token_hash: '[sealed]' }, after: null },
    },
    {
      name: 'an update shows only the columns that differ, without updated_at',
      before: { id: 'p1', name: 'a', enabled: true, updated_at: at },
      after: { id: 'p1', name: 'b', enabled: true, updated_at: later },
      changes: { before: { name: 'a' }, after: { name: 'b' } },
    },
    {
      name: 'a re-sealed secret is a change, sealed on both sides',
      before: { api_key: key },
      after: { api_key: Buffer.from('another-key') },
      changes: { before: { api_key: '[sealed]' }, after: { api_key: '[sealed]' } },
    },
    {
      name: 'a secret set and cleared shows null on the empty side',
      before: { signing_secret: null },
      after: { signing_secret: key },
      changes: { before: { signing_secret: null }, after: { signing_secret: '[sealed]' } },
    },
    {
      name: 'a soft delete is the deleted_at it set',
      before: { deleted_at: null },
      after: { deleted_at: later },
      changes: { before: { deleted_at: null }, after: { deleted_at: later.toISOString() } },
    },
    {
      name: 'header values in options are sealed, their names kept',
      before: { options: { temperature: 0.2, headers: { 'x-key': 'one' } } },
      after: { options: { temperature: 0.2, headers: { 'x-key': 'two' } } },
      changes: {
        before: { options: { temperature: 0.2, headers: { 'x-key': '[sealed]' } } },
        after: { options: { temperature: 0.2, headers: { 'x-key': '[sealed]' } } },
      },
    },
    {
      name: 'a column it has never heard of (a later migration’s) appears like any other',
      before: { spend_limit_micros: null },
      after: { spend_limit_micros: '5000000' },
      changes: { before: { spend_limit_micros: null }, after: { spend_limit_micros: '5000000' } },
    },
    {
      name: 'an update that changes nothing records empty sides',
      before: { id: 'p1', options: { a: [1] } },
      after: { id: 'p1', options: { a: [1] } },
      changes: { before: {}, after: {} },
    },
  ])('$name', ({ before, after, changes }) => {
    expect(auditChanges(before, after)).toEqual(changes);
  });
});
