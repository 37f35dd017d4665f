// alumia chat: talk to an agent from a terminal, the reply streamed as it is written.
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { AlumiaClient, Session } from '../../client.js';
import { AlumiaError } from '../../errors.js';
import { contextOf, type Context, type Io } from '../context.js';
import { InterruptedError, UsageError } from '../exit.js';
import { example } from '../options.js';
import { oneLine } from '../output.js';
import { readStdin } from '../stdin.js';

interface ChatOptions {
  session?: string;
  new?: boolean;
  idempotencyKey?: string;
}

export function addChatCommand(program: Command, io: Io): void {
  program
    .command('chat')
    .description("Send a message to an agent and print its reply as it streams; continues the agent's last direct session")
    .argument('<agent>', "the agent's slug or UUID")
    .argument('[message...]', 'the message; read from stdin when omitted or -')
    .option('--session <id>', 'continue this session (the agent must take part in it)')
    .addOption(new Option('--new', 'open a new session even when there is one to continue').conflicts('session'))
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID)')
    .addHelpText(
      'after',
      `
Without --session or --new, the chat goes on in the most recently updated session whose only agent is
<agent>, or in a new one. The session's id is printed on stderr. --json waits for the whole reply and
prints { sessionId, message, reply }. Ctrl-C stops the reply (exit code 130); what arrived is kept.
${example(
  'alumia chat ala "What can you do?"',
  'alumia chat research-assistant --new "Find papers on retrieval"',
  'git diff | alumia chat reviewer --session 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b',
)}`,
    )
    .action(async (agentRef: string, words: string[], opts: ChatOptions, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const content = words.length === 0 || (words.length === 1 && words[0] === '-') ? await readStdin(io) : words.join(' ');
      if (!content.trim()) throw new UsageError('no message: give it as arguments or on stdin');
      const client = ctx.client();
      const agent = await client.agents.get(agentRef);
      const sessionId =
        opts.session ??
        (opts.new ? undefined : await lastDirectSession(client, agent.id)) ??
        (await newSession(client, agent.id, content)).id;
      const input = { content, agentId: agent.id };
      const idempotencyKey = opts.idempotencyKey ?? randomUUID();
      if (ctx.json) {
        const result = await client.sessions.chat(sessionId, input, { idempotencyKey });
        return ctx.out(JSON.stringify({ sessionId, ...result }, null, 2));
      }
      ctx.hint(`session: ${sessionId}`);
      await streamReply(ctx, client, sessionId, input, idempotencyKey);
    });
}

/** The most recently updated session whose only agent is `agentId`, if there is one. */
async function lastDirectSession(client: AlumiaClient, agentId: string): Promise<string | undefined> {
  for await (const s of client.sessions.list({ agentId })) if (s.agentIds.length === 1 && s.agentIds[0] === agentId) return s.id;
  return undefined;
}

function newSession(client: AlumiaClient, agentId: string, content: string): Promise<Session> {
  return client.sessions.create(
    { agentIds: [agentId], title: oneLine(content, 80) || null, metadata: { relationship: 'direct' } },
    { idempotencyKey: randomUUID() },
  );
}

/**
 * Writes the reply's text to stdout as it arrives, and a newline at the end. An `error` event becomes the
 * usual error line (exit 1); Ctrl-C closes the stream, which makes the server keep the partial reply.
 */
async function streamReply(
  ctx: Context,
  client: AlumiaClient,
  sessionId: string,
  input: { content: string; agentId: string },
  key: string,
) {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  let last = '\n';
  const endLine = () => {
    if (!last.endsWith('\n')) ctx.io.stdout.write('\n');
    last = '\n';
  };
  const stream = client.sessions.chatStream(sessionId, input, { signal: controller.signal, idempotencyKey: key });
  try {
    for await (const event of stream) {
      if (event.event === 'delta' && event.data.text) {
        ctx.io.stdout.write(event.data.text);
        last = event.data.text;
      } else if (event.event === 'error') {
        endLine();
        const { code, message } = event.data;
        throw new AlumiaError({ code, message, status: 200, requestId: stream.requestId });
      }
    }
    endLine();
  } catch (error) {
    endLine();
    if (controller.signal.aborted && error instanceof AlumiaError && error.code === 'ABORTED')
      throw new InterruptedError(`interrupted; the partial reply is kept in session ${sessionId}`);
    throw error;
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
}
