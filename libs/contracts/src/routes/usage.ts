import { ChatParams } from '../chats.ts';
import { IdParams } from '../common.ts';
import {
  ChatUsageResponse,
  MAX_USAGE_GROUPS,
  SpendLimitsResponse,
  UsageQuery,
  UsageReport,
  UsageReportQuery,
  UserUsageResponse,
} from '../usage.ts';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

const SUMS =
  'Sums every assistant reply, edited-away ones too (their tokens were spent). `cost_micros` is null when no ' +
  'counted reply had a price.';

const LIMITS =
  'The spend limit that applies (the user’s own, else the server default; null: none), what was spent in the ' +
  'current calendar UTC day or month, what live turns and queued messages have reserved, and when the period ' +
  'resets. A turn on a priced model is refused (402) when spent plus reserved plus its worst-case cost would ' +
  'pass the limit.';

export const usageRoutes = defineRoutes({
  getChatUsage: {
    method: 'GET',
    path: '/api/v1/chats/{chat_id}/usage',
    tag: 'usage',
    auth: 'member',
    summary: 'Usage of a chat',
    description: SUMS,
    params: ChatParams,
    responses: { 200: { description: 'The chat’s totals.', schema: ChatUsageResponse } },
    errors: { 404: [ERRORS.chatNotFound] },
  },
  getMyUsage: {
    method: 'GET',
    path: '/api/v1/users/me/usage',
    tag: 'usage',
    auth: 'member',
    summary: 'Your usage',
    description: `${SUMS} \`from\` is inclusive, \`to\` exclusive; either may be left open.`,
    query: UsageQuery,
    responses: { 200: { description: 'The caller’s totals.', schema: UserUsageResponse } },
  },
  getUserUsage: {
    method: 'GET',
    path: '/api/v1/users/{id}/usage',
    tag: 'usage',
    auth: 'member',
    summary: 'A user’s usage',
    description: `${SUMS} Members may read only their own; admins anyone’s.`,
    params: IdParams,
    query: UsageQuery,
    responses: { 200: { description: 'The user’s totals.', schema: UserUsageResponse } },
    errors: { 403: [ERRORS.forbidden], 404: [ERRORS.userNotFound] },
  },
  getUsageReport: {
    method: 'GET',
    path: '/api/v1/usage',
    tag: 'usage',
    auth: 'admin',
    summary: 'Usage report',
    description:
      `${SUMS} Grouped by \`group_by\`: \`user\` (the chat’s owner), \`model_config\` or \`day\` (UTC), ` +
      'ordered by key, with the sums of every group in `total`; only groups with replies appear. `from` is ' +
      'inclusive, `to` exclusive; either may be left open. `turns` counts the turns that produced the replies. ' +
      `At most ${MAX_USAGE_GROUPS} groups: a larger report is refused (400), narrow the range. ` +
      'With `Accept: text/csv` the same rows come as CSV, `key,input_tokens,output_tokens,cost_micros,turns` ' +
      'first, an unpriced cost as an empty field, and no total row.',
    query: UsageReportQuery,
    responses: {
      200: {
        description: 'The report.',
        schema: UsageReport,
        alternatives: {
          'text/csv': {
            description: 'The rows as RFC 4180 CSV, with a header row.',
            example:
              'key,input_tokens,output_tokens,cost_micros,turns\r\n' +
              '2025-06-14,10020,1800,2511,7\r\n2025-06-15,8220,1305,2088,5\r\n',
          },
        },
      },
    },
    errors: { 400: [ERRORS.usageReportTooLarge] },
  },
  getMyLimits: {
    method: 'GET',
    path: '/api/v1/users/me/limits',
    tag: 'usage',
    auth: 'member',
    summary: 'Your spend limit',
    description: LIMITS,
    responses: { 200: { description: 'The caller’s limit and spend.', schema: SpendLimitsResponse } },
  },
  getUserLimits: {
    method: 'GET',
    path: '/api/v1/users/{id}/limits',
    tag: 'usage',
    auth: 'member',
    summary: 'A user’s spend limit',
    description: `${LIMITS} Members may read only their own; admins anyone’s.`,
    params: IdParams,
    responses: { 200: { description: 'The user’s limit and spend.', schema: SpendLimitsResponse } },
    errors: { 403: [ERRORS.forbidden], 404: [ERRORS.userNotFound] },
  },
});
