import type { RequestHandler } from 'express';
import { operations } from '../contract.js';
import type { DataLayer } from '../data/index.js';
import { operationOf } from '../plugins/operation.js';
import type { Config } from '../config.js';
import { agentOperations } from './agents.js';
import { billingOperations } from './billing.js';
import { apiKeyOperations } from './api-keys.js';
import { authOperations } from './auth.js';
import { dashboardOperations } from './dashboard.js';
import { deviceLoginOperations } from './device-login.js';
import { docsAssistantOperations } from './docs-assistant.js';
import { enterpriseOperations } from './enterprise.js';
import type { Operations } from './handler.js';
import { meOperations } from './me.js';
import { missionControlOperations } from './mission-control.js';
import { orgOperations } from './org.js';
import { modelOperations } from './models.js';
import { passwordOperations } from './passwords.js';
import { projectOperations } from './projects.js';
import { sessionOperations } from './sessions.js';
import { shareLinkOperations } from './share-links.js';
import { triggerOperations } from './triggers.js';
import { webhookOperations } from './webhooks.js';
import { workspaceOperations } from './workspaces.js';

function apiOperations(data: DataLayer, config: Pick<Config, 'chat'>): Operations {
  return {
    ...meOperations(data),
    ...workspaceOperations(data),
    ...apiKeyOperations(data),
    ...modelOperations(data),
    ...agentOperations(data),
    ...sessionOperations(data, config),
    ...billingOperations(data),
    ...dashboardOperations(data),
    ...docsAssistantOperations(data),
    ...projectOperations(data),
    ...missionControlOperations(data),
    ...passwordOperations(data),
    ...authOperations(data),
    ...deviceLoginOperations(data),
    ...enterpriseOperations(data),
    ...orgOperations(data),
    ...shareLinkOperations(data),
    ...webhookOperations(data),
    ...triggerOperations(data),
  };
}

/**
 * The handlers must be exactly the contract's operations, each as public or protected as the contract
 * says; anything else stops the app from being built.
 */
export function checkOperations(handlers: Operations): void {
  const known = new Set(operations.map((op) => op.operationId));
  for (const id of Object.keys(handlers)) if (!known.has(id)) throw new Error(`Handler ${id} has no operation in the contract`);
  for (const op of operations) {
    const handler = handlers[op.operationId];
    if (!handler) throw new Error(`Operation ${op.operationId} has no handler`);
    if (handler.isPublic !== (op.scopes === null)) {
      throw new Error(
        `Operation ${op.operationId} is ${op.scopes === null ? 'public' : 'protected'} in the contract but its handler is not`,
      );
    }
  }
}

/** Runs the handler of the operation the request was placed in; the last step of the pipeline. */
export function dispatch(data: DataLayer, config: Pick<Config, 'chat'>): RequestHandler {
  const handlers = apiOperations(data, config);
  checkOperations(handlers);
  return async (req, res, next) => {
    // Every placed request has one (checked above).
    const handler = handlers[operationOf(req).operationId]!;
    if (req.caller) await data.beforeHandler(req.caller);
    return handler.run(req, res, next);
  };
}
