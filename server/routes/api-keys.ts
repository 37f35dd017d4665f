import { Router } from 'express';
import type {
  CreateApiKeyData, CreateApiKeyResponse, ListApiKeysData, ListApiKeysResponse, RevokeApiKeyData, RevokeApiKeyResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle } from './handler.js';

export function apiKeyRoutes(data: DataLayer): Router {
  return Router()
    .get('/api-keys', handle<ListApiKeysData, ListApiKeysResponse>(200, ({ caller, query }) => data.apiKeys.list(caller, query)))
    .post('/api-keys', handle<CreateApiKeyData, CreateApiKeyResponse>(201, ({ caller, body }) => data.apiKeys.create(caller, body)))
    .delete('/api-keys/:id', handle<RevokeApiKeyData, RevokeApiKeyResponse>(200, ({ caller, path }) => data.apiKeys.revoke(caller, path.id)));
}
