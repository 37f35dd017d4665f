// The public data types: names over the generated SDK's, so callers never import generated/sdk themselves.
// A module of its own so the resource modules and client.ts can share them without importing each other.
import type * as sdk from '../../generated/sdk/index.js';

/** The `data` of a generated success envelope type. */
export type DataOf<R> = R extends { success: true; data: infer D } ? D : never;

export type Agent = sdk.Agent;
export type ApiKey = sdk.ApiKey;
export type ApiKeyCreated = sdk.ApiKeyCreated;
export type Model = sdk.Model;
export type Session = sdk.Session;
export type Message = sdk.Message;
export type PeerMessage = sdk.PeerMessage;
export type Me = sdk.Me;
export type Workspace = sdk.Workspace;
/** A member granted access to a workspace (owners and admins see every workspace anyway). */
export type WorkspaceMember = sdk.WorkspaceMember;
export type CreateWorkspaceInput = sdk.CreateWorkspaceData['body'];
export type UpdateWorkspaceInput = sdk.UpdateWorkspaceData['body'];
export type DashboardOverview = sdk.DashboardOverview;
export type Scope = sdk.Scope;
export type Role = sdk.Role;
export type ErrorCode = sdk.ErrorCode;
export type ErrorDetail = sdk.ErrorDetail;
export type CreateAgentInput = sdk.CreateAgentData['body'];
export type UpdateAgentInput = sdk.UpdateAgentData['body'];
export type CreateApiKeyInput = sdk.CreateApiKeyData['body'];
export type CreateSessionInput = sdk.CreateSessionData['body'];
export type CreateMessageInput = sdk.CreateSessionMessageData['body'];
export type AgentMessagesParams = NonNullable<sdk.ListAgentMessagesData['query']>;
/** The answer to a delete: `{ deleted: true }`. */
export type Deleted = DataOf<sdk.DeleteAgentResponse>;
export type UpdateSessionInput = sdk.UpdateSessionData['body'];
export type Project = sdk.Project;
export type Block = sdk.Block;
export type BlockType = sdk.BlockType;
export type CreateProjectInput = sdk.CreateProjectData['body'];
export type UpdateProjectInput = sdk.UpdateProjectData['body'];
/** A new block: `type`, the `content` its type prescribes, and `afterBlockId` (null: first; absent: last). */
export type CreateBlockInput = sdk.CreateBlockData['body'];
/** New `content` (with `type` when the type changes) and/or a move with `afterBlockId` (null: first). */
export type UpdateBlockInput = sdk.UpdateBlockData['body'];

/** `sessions.list` parameters: the page (`limit`, `cursor`) and the filters `agentId` (UUID or slug) and `relationship`. */
export type SessionListParams = NonNullable<sdk.ListSessionsData['query']>;
/** A chat message: `content`, and optionally `agentId` (who answers) and `fromAgentId` (who writes, in a peer session). */
export type ChatInput = Omit<sdk.ChatRequest, 'stream'>;
/** The stored message and the stored reply of a chat. */
export type ChatResult = sdk.ChatResult;
/** One event of a streamed chat: `message`, `delta` (any number), `reply` or `error`, then `done`. */
export type ChatStreamEvent = sdk.ChatStreamEvent;
export type MessageUsage = sdk.MessageUsage;
/** An amount of credits: `creditMicro` exactly (1 credit = 1,000,000), `credits` for display. */
export type CreditAmount = sdk.CreditAmount;
export type UsageParams = NonNullable<sdk.GetUsageData['query']>;
export type UsageReport = sdk.UsageReport;
export type UsageItem = sdk.UsageItem;
export type UsageTotals = sdk.UsageTotals;
/** Who a dashboard session belongs to, when it ends and until when step-up lasts. */
export type AuthSession = sdk.AuthSession;
/** One of the user's signed-in dashboard sessions (never its cookie). */
export type BrowserSession = sdk.BrowserSession;
export type LoginInput = sdk.LoginData['body'];
/** The caller's organization and its settings. */
export type Organization = sdk.Organization;
export type OrgMember = sdk.OrgMember;
/** An open invite (never its token). */
export type OrgInvite = sdk.OrgInvite;
export type UpdateOrgInput = sdk.UpdateOrgData['body'];
export type CreateOrgInviteInput = sdk.CreateOrgInviteData['body'];
export type AcceptOrgInviteInput = sdk.AcceptOrgInviteData['body'];
export type SetPasswordInput = sdk.SetPasswordFromLinkData['body'];
export type ChangePasswordInput = sdk.ChangePasswordData['body'];
/** A webhook endpoint (never its secret; `WebhookWithSecret` is the one answer that shows it). */
export type Webhook = sdk.Webhook;
export type WebhookWithSecret = sdk.WebhookWithSecret;
/** One activity row on its way to one endpoint, with every attempt so far. */
export type WebhookDelivery = sdk.WebhookDelivery;
export type WebhookAttempt = sdk.WebhookAttempt;
export type CreateWebhookInput = sdk.CreateWebhookData['body'];
export type UpdateWebhookInput = sdk.UpdateWebhookData['body'];
/** `webhooks.deliveries` parameters: the page, and `status` (`pending`, `succeeded` or `failed`). */
export type WebhookDeliveryParams = NonNullable<sdk.ListWebhookDeliveriesData['query']>;
/** An agent's trigger URL as listed (never its token or secret). */
export type AgentTrigger = sdk.AgentTrigger;
export type AgentTriggerCreated = DataOf<sdk.CreateAgentTriggerResponse>;
export type CreateAgentTriggerInput = NonNullable<sdk.CreateAgentTriggerData['body']>;
