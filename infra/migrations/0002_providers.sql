-- Usage reports sum assistant replies per chat over a time range (GET .../usage); edited-away
-- replies count too, since their tokens were spent, so this index is not limited to live rows.
create index messages_usage_idx on messages (chat_id, created_at) where role = 'assistant' and usage is not null;
