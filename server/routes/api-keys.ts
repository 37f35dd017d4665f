import type {
  CreateApiKeyData,
  CreateApiKeyResponse,
  ListApiKeysData,
  ListApiKeysResponse,
  RevokeApiKeyData,
  RevokeApiKeyResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

export function apiKeyOperations(data: DataLayer): Operations {
  return {
    listApiKeys: handle<ListApiKeysData, ListApiKeysResponse>(200, ({ caller, query }) => data.apiKeys.list(caller, query)),
    createApiKey: handle<CreateApiKeyData, CreateApiKeyResponse>(201, ({ caller, body }) => data.apiKeys.create(caller, body)),
    revokeApiKey: handle<RevokeApiKeyData, RevokeApiKeyResponse>(200, ({ caller, path }) => data.apiKeys.revoke(caller, path.id)),
  };
}
