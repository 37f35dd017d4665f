// alumia billing: the organization's credit balance and what replies used.
import { Option, type Command } from 'commander';
import type { CreditAmount, UsageItem, UsageTotals } from '../../client.js';
import { contextOf, type Io } from '../context.js';
import { example } from '../options.js';
import { fields, table } from '../output.js';

/** `12.5 credits`: the decimal amount, whole credits grouped by thousands. */
const amount = (a: Pick<CreditAmount, 'credits'>) =>
  `${a.credits.toLocaleString('en-US', { maximumFractionDigits: 6 })} ${a.credits === 1 ? 'credit' : 'credits'}`;

const row = (key: string, u: UsageTotals) => [
  key,
  String(u.replies),
  u.inputTokens.toLocaleString('en-US'),
  u.outputTokens.toLocaleString('en-US'),
  u.credits.toLocaleString('en-US', { maximumFractionDigits: 6 }),
];

/** Adds the group to `program` and returns it. */
export function addBillingCommands(program: Command, io: Io): Command {
  const billing = program
    .command('billing')
    .description("Your organization's credits and usage (needs the billing:read scope)")
    .addHelpText('after', example('alumia billing credits', 'alumia billing usage --group-by model'));

  billing
    .command('credits')
    .description('Show the credit balance: every grant minus every reply on a paid model')
    .addHelpText('after', example('alumia billing credits', 'alumia billing credits --json'))
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const balance = await ctx.client().billing.credits();
      ctx.print(balance, () =>
        fields(ctx.c, [
          ['Balance', balance.creditMicro > 0 ? amount(balance) : ctx.c.yellow(amount(balance))],
          ['creditMicro', String(balance.creditMicro)],
        ]),
      );
    });

  billing
    .command('usage')
    .description('Tokens and credits of replies, by day, model or agent (default: the last 30 days, by day)')
    .addOption(new Option('--group-by <group>', 'how to group the replies').choices(['day', 'model', 'agent']))
    .option('--from <iso>', 'start of the range, inclusive, e.g. 2026-11-01T00:00:00Z (default: 30 days before --to)')
    .option('--to <iso>', 'end of the range, exclusive (default: now)')
    .addHelpText('after', example('alumia billing usage', 'alumia billing usage --group-by model --from 2026-11-01T00:00:00Z'))
    .action(async (opts: { groupBy?: 'day' | 'model' | 'agent'; from?: string; to?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const report = await ctx.client().billing.usage({
        ...(opts.groupBy && { groupBy: opts.groupBy }),
        ...(opts.from && { from: opts.from }),
        ...(opts.to && { to: opts.to }),
      });
      ctx.print(report, () => {
        const head = ctx.c.dim(`${report.from} to ${report.to}, by ${report.groupBy}`);
        if (report.items.length === 0) return `${head}\n${ctx.c.dim('No replies.')}`;
        const rows = report.items.map((i: UsageItem) => row(i.key, i));
        const total = row(ctx.c.bold('TOTAL'), report.total);
        return `${head}\n${table(ctx.c, [report.groupBy.toUpperCase(), 'REPLIES', 'INPUT TOKENS', 'OUTPUT TOKENS', 'CREDITS'], [...rows, total])}`;
      });
    });
  return billing;
}
