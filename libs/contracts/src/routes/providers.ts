import { IdParams, NoContent, PageQuery } from '../common.ts';
import { ProviderTestBody, ProviderTestResult } from '../provider-checks.ts';
import { CreateProviderBody, ProviderList, ProviderResponse, UpdateProviderBody } from '../providers.ts';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

/** Providers hold credentials: every route is admin-only. */
export const providerRoutes = defineRoutes({
  createProvider: {
    method: 'POST',
    path: '/api/v1/providers',
    tag: 'providers',
    auth: 'admin',
    summary: 'Add a provider',
    description:
      'An endpoint, its API key and any secret headers (a gateway’s key, say). Both are sealed (AES-256-GCM) on ' +
      'the way in and only ever opened by workers, for the call; responses say `has_api_key` and ' +
      '`secret_header_names`, never a value.',
    body: CreateProviderBody,
    responses: { 201: { description: 'The new provider.', schema: ProviderResponse } },
    errors: { 409: [ERRORS.providerNameTaken] },
  },
  listProviders: {
    method: 'GET',
    path: '/api/v1/providers',
    tag: 'providers',
    auth: 'admin',
    summary: 'List providers',
    description: 'Oldest first, cursor-paginated.',
    query: PageQuery,
    responses: { 200: { description: 'A page of providers.', schema: ProviderList } },
    errors: { 400: [ERRORS.invalidCursor] },
  },
  getProvider: {
    method: 'GET',
    path: '/api/v1/providers/{id}',
    tag: 'providers',
    auth: 'admin',
    summary: 'Get a provider',
    description: 'One provider, without its key.',
    params: IdParams,
    responses: { 200: { description: 'The provider.', schema: ProviderResponse } },
    errors: { 404: [ERRORS.providerNotFound] },
  },
  updateProvider: {
    method: 'PATCH',
    path: '/api/v1/providers/{id}',
    tag: 'providers',
    auth: 'admin',
    summary: 'Update a provider',
    description:
      'Absent fields are unchanged; `null` clears `base_url`, `api_key` or `secret_headers`, and new ' +
      '`secret_headers` replace the whole set.',
    params: IdParams,
    body: UpdateProviderBody,
    responses: { 200: { description: 'The updated provider.', schema: ProviderResponse } },
    errors: { 404: [ERRORS.providerNotFound], 409: [ERRORS.providerNameTaken] },
  },
  deleteProvider: {
    method: 'DELETE',
    path: '/api/v1/providers/{id}',
    tag: 'providers',
    auth: 'admin',
    summary: 'Delete a provider',
    description: 'The provider and its model configs stop being offered; past messages keep their history.',
    params: IdParams,
    responses: { 204: { description: 'Deleted.', schema: NoContent } },
    errors: { 404: [ERRORS.providerNotFound] },
  },
  testProvider: {
    method: 'POST',
    path: '/api/v1/providers/{id}/test',
    tag: 'providers',
    auth: 'admin',
    summary: 'Check a provider',
    description:
      'Has a worker make a one-token call with the provider’s key, so a bad key or model shows before users ' +
      'hit it. Answers 200 either way once a worker answered: `ok` says whether the call worked.',
    params: IdParams,
    body: ProviderTestBody.nullish(),
    responses: { 200: { description: 'What the call showed.', schema: ProviderTestResult } },
    errors: { 404: [ERRORS.providerNotFound], 503: [ERRORS.checkNotQueued], 504: [ERRORS.checkTimedOut] },
  },
});
