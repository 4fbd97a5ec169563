import { IdParams, NoContent, PageQuery } from '../common.ts';
import {
  CreateModelConfigBody,
  ModelConfigList,
  ModelConfigResponse,
  UpdateModelConfigBody,
} from '../model-configs.ts';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

export const modelConfigRoutes = defineRoutes({
  createModelConfig: {
    method: 'POST',
    path: '/api/v1/model-configs',
    tag: 'model-configs',
    auth: 'admin',
    summary: 'Add a model config',
    description:
      'Names a model on a provider, with its limits, prices and call options. Setting `is_default` moves the ' +
      'default here.',
    body: CreateModelConfigBody,
    responses: { 201: { description: 'The new model config.', schema: ModelConfigResponse } },
    errors: { 400: [ERRORS.unknownProvider] },
  },
  listModelConfigs: {
    method: 'GET',
    path: '/api/v1/model-configs',
    tag: 'model-configs',
    auth: 'member',
    summary: 'List model configs',
    description:
      'Oldest first, cursor-paginated. Members see the enabled configs, without `options.headers` (where ' +
      'credentials go); admins see all of it.',
    query: PageQuery,
    responses: { 200: { description: 'A page of model configs.', schema: ModelConfigList } },
    errors: { 400: [ERRORS.invalidCursor] },
  },
  getModelConfig: {
    method: 'GET',
    path: '/api/v1/model-configs/{id}',
    tag: 'model-configs',
    auth: 'member',
    summary: 'Get a model config',
    description: 'A disabled config is not found for members, and they never see its `options.headers`.',
    params: IdParams,
    responses: { 200: { description: 'The model config.', schema: ModelConfigResponse } },
    errors: { 404: [ERRORS.modelConfigNotFound] },
  },
  updateModelConfig: {
    method: 'PATCH',
    path: '/api/v1/model-configs/{id}',
    tag: 'model-configs',
    auth: 'admin',
    summary: 'Update a model config',
    description: 'Absent fields are unchanged; `null` clears an optional one.',
    params: IdParams,
    body: UpdateModelConfigBody,
    responses: { 200: { description: 'The updated model config.', schema: ModelConfigResponse } },
    errors: { 404: [ERRORS.modelConfigNotFound] },
  },
  deleteModelConfig: {
    method: 'DELETE',
    path: '/api/v1/model-configs/{id}',
    tag: 'model-configs',
    auth: 'admin',
    summary: 'Delete a model config',
    description: 'It is no longer offered; messages that used it keep their history.',
    params: IdParams,
    responses: { 204: { description: 'Deleted.', schema: NoContent } },
    errors: { 404: [ERRORS.modelConfigNotFound] },
  },
});
