import type { AskDocsData, AskDocsResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handlePublic, type Operations } from './handler.js';

// Public: anyone may ask, with a key or without; nothing is metered, so the caller is not needed.
export function docsAssistantOperations({ docsAssistant }: DataLayer): Operations {
  return {
    askDocs: handlePublic<AskDocsData, AskDocsResponse>(200, ({ body }) => docsAssistant.ask(body.question)),
  };
}
