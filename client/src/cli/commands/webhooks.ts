// alumia webhooks: list endpoints, read an endpoint's delivery log, and send a delivery again. Creating,
// changing, rotating and deleting endpoints are browser-only (the dashboard's Webhooks page).
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { Webhook, WebhookDelivery } from '../../client.js';
import { contextOf, type Io } from '../context.js';
import { printList } from '../listing.js';
import { example, listOptions } from '../options.js';
import { list, oneLine, relativeTime, table, type Colors } from '../output.js';

const STATUSES = ['pending', 'succeeded', 'failed'] as const;

function webhooksTable(c: Colors, hooks: Webhook[]) {
  return table(
    c,
    ['ID', 'URL', 'EVENTS', 'ENABLED', 'CREATED'],
    hooks.map((w) => [
      w.id,
      oneLine(w.url, 50),
      list(w.events),
      w.enabled ? c.green('yes') : c.red(`no (${w.disabledReason ?? 'manual'})`),
      relativeTime(w.createdAt),
    ]),
  );
}

const statusCell = (c: Colors, s: WebhookDelivery['status']) => (s === 'succeeded' ? c.green(s) : s === 'failed' ? c.red(s) : c.yellow(s));

/** The last attempt's outcome: its status code or network error, and its latency. */
function lastAttempt(d: WebhookDelivery): string {
  const a = d.attempts.at(-1);
  if (!a) return '-';
  return `${a.statusCode ?? a.error ?? '?'} in ${a.latencyMs} ms`;
}

function deliveriesTable(c: Colors, deliveries: WebhookDelivery[]) {
  return table(
    c,
    ['ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST ATTEMPT', 'NEXT', 'CREATED'],
    deliveries.map((d) => [
      d.id,
      d.eventType,
      statusCell(c, d.status),
      String(d.attemptCount),
      lastAttempt(d),
      d.nextAttemptAt ? relativeTime(d.nextAttemptAt) : '-',
      relativeTime(d.createdAt),
    ]),
  );
}

/** Adds the group to `program` and returns it. */
export function addWebhooksCommands(program: Command, io: Io): Command {
  const webhooks = program
    .command('webhooks')
    .description('List webhook endpoints, read their delivery logs, send a delivery again (create them in the dashboard)')
    .addHelpText(
      'after',
      example('alumia webhooks list', 'alumia webhooks deliveries 3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f --status failed'),
    );

  listOptions(webhooks.command('list').description("List the organization's webhook endpoints, newest first (never their secrets)"))
    .addHelpText('after', example('alumia webhooks list --json'))
    .action(async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const client = ctx.client();
      await printList(
        ctx,
        (p) => client.webhooks.listPage(p),
        opts,
        (items) => webhooksTable(ctx.c, items),
        'webhook endpoints',
        'alumia webhooks list',
      );
    });

  listOptions(
    webhooks
      .command('deliveries')
      .description("An endpoint's deliveries of the last 30 days, newest first, with their attempts (--json shows every attempt)")
      .argument('<id>', "the endpoint's id (see alumia webhooks list)")
      .addOption(new Option('--status <status>', 'only deliveries in this state').choices(STATUSES)),
  )
    .addHelpText('after', example('alumia webhooks deliveries 3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f --status failed'))
    .action(async (id: string, opts: { limit?: number; cursor?: string; status?: (typeof STATUSES)[number] }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const status = opts.status;
      const client = ctx.client();
      await printList(
        ctx,
        (p) => client.webhooks.deliveriesPage(id, { ...p, ...(status ? { status } : {}) }),
        opts,
        (items) => deliveriesTable(ctx.c, items),
        'deliveries',
        `alumia webhooks deliveries ${id}${status ? ` --status ${status}` : ''}`,
      );
    });

  webhooks
    .command('retry')
    .description('Send a delivery again now, with the same webhook-id (the endpoint must be enabled)')
    .argument('<id>', "the endpoint's id")
    .argument('<deliveryId>', "the delivery's id (see alumia webhooks deliveries)")
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID)')
    .addHelpText('after', example('alumia webhooks retry 3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f 5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b'))
    .action(async (id: string, deliveryId: string, opts: { idempotencyKey?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const d = await ctx.client().webhooks.retry(id, deliveryId, { idempotencyKey: opts.idempotencyKey ?? randomUUID() });
      ctx.print(d, () => `Queued another attempt of delivery ${d.id} (${d.eventType}); see alumia webhooks deliveries ${id}`);
    });
  return webhooks;
}
