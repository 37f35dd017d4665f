import { useEffect, useRef, useState } from 'preact/hooks';
import type { Agent, Message, Session } from '@alumia/client';
import { client, failureOf, fieldErrors, formatTime, type Failure } from '../api.js';
import { Empty, FormError, Loading, Page, Select, TextArea } from '../components.js';
import { sharingApi } from '../more-api.js';
import { Link } from '../router.js';
import { useStepUp } from '../step-up.js';
import { agentName, useAgents } from './sessions.js';

/** One session: its messages, its participants, and a chat box whose answer appears as it streams. */
export function SessionPage({ id }: { id: string }) {
  const [session, setSession] = useState<Session | null>(null);
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  const agents = useAgents();

  const load = async () => {
    try {
      setSession(await client.sessions.get(id));
      const all: Message[] = [];
      for await (const m of client.sessions.messages(id, { limit: 100 })) all.push(m);
      setMessages(all);
    } catch (e) {
      setError(failureOf(e).message);
    }
  };
  useEffect(() => void load(), [id]);

  if (error)
    return (
      <Page title="Session">
        <FormError message={error} />
        <Link to="/sessions">Back to the sessions</Link>
      </Page>
    );
  if (!session || !messages) return <Page title="Session">{<Loading what="the session" />}</Page>;
  return (
    <Page title={session.title ?? 'Untitled session'}>
      <p>
        <Link to="/sessions">All sessions</Link> · started {formatTime(session.createdAt)}
      </p>
      <Participants session={session} agents={agents} onChanged={() => void load()} />
      <h2>Messages</h2>
      {messages.length === 0 ? (
        <Empty>No messages yet. Write the first one below.</Empty>
      ) : (
        <ol class="messages" aria-label="Messages">
          {messages.map((m) => (
            <li key={m.id} class={`message ${m.role}`}>
              <strong>{m.role === 'agent' ? agentName(agents, m.agentId ?? '') : 'You'}</strong>{' '}
              <small>
                {formatTime(m.createdAt)}
                {m.status !== 'complete' && ` · ${m.status}`}
              </small>
              <p>{m.content}</p>
            </li>
          ))}
        </ol>
      )}
      <ChatBox session={session} agents={agents} onSent={(added) => setMessages((old) => [...(old ?? []), ...added])} />
    </Page>
  );
}

function Participants({ session, agents, onChanged }: { session: Session; agents: Agent[] | null; onChanged: () => void }) {
  const guard = useStepUp();
  const [adding, setAdding] = useState('');
  const [error, setError] = useState<string | undefined>();
  const others = (agents ?? []).filter((a) => a.isActive && !session.agentIds.includes(a.id));
  const run = async (call: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await guard(call);
      onChanged();
    } catch (e) {
      setError(failureOf(e).message);
    }
  };
  return (
    <section aria-labelledby="participants-title" class="panel">
      <h2 id="participants-title">Participants</h2>
      <ul>
        {session.agentIds.map((a) => (
          <li key={a}>
            {agentName(agents, a)}{' '}
            {session.agentIds.length > 1 && (
              <button
                type="button"
                class="secondary"
                aria-label={`Remove ${agentName(agents, a)}`}
                onClick={() => void run(() => sharingApi.removeParticipant(session.id, a))}
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {others.length > 0 && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => sharingApi.addParticipant(session.id, adding || others[0]!.id));
          }}
        >
          <Select
            label="Add an agent"
            value={adding || others[0]!.id}
            onValue={setAdding}
            options={others.map((a) => [a.id, a.name] as const)}
          />
          <button type="submit">Add to the session</button>
        </form>
      )}
      <FormError message={error} />
    </section>
  );
}

function ChatBox({ session, agents, onSent }: { session: Session; agents: Agent[] | null; onSent: (m: Message[]) => void }) {
  const [content, setContent] = useState('');
  const [agent, setAgent] = useState('');
  const [answer, setAnswer] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [note, setNote] = useState<string | undefined>();
  const stop = useRef<AbortController | null>(null);
  const { byField, rest } = fieldErrors(failure, ['content', 'agentId']);
  const answering = session.agentIds.length > 1 ? agent || session.agentIds[0]! : undefined;

  const send = async (e: Event) => {
    e.preventDefault();
    setFailure(null);
    setNote(undefined);
    const controller = new AbortController();
    stop.current = controller;
    setAnswer('');
    const added: Message[] = [];
    try {
      const stream = client.sessions.chatStream(
        session.id,
        { content, ...(answering ? { agentId: answering } : {}) },
        { signal: controller.signal },
      );
      for await (const event of stream) {
        if (event.event === 'message') {
          added.push(event.data);
          setContent('');
        } else if (event.event === 'delta') setAnswer((a) => (a ?? '') + event.data.text);
        else if (event.event === 'reply') added.push(event.data);
        else if (event.event === 'error') setNote(`The answer stopped part way: ${event.data.message}`);
      }
    } catch (err) {
      const f = failureOf(err);
      if (f.code === 'ABORTED') setNote('Stopped. The part that had arrived is kept in the session.');
      else setFailure(f);
    } finally {
      stop.current = null;
      setAnswer(null);
      onSent(added);
    }
  };

  const busy = answer !== null;
  return (
    <form class="panel chat" onSubmit={(e) => void send(e)} noValidate aria-labelledby="chat-title">
      <h2 id="chat-title">Chat</h2>
      {busy && (
        <div class="message agent streaming" aria-live="polite" aria-busy="true">
          <strong>Answer</strong>
          <p data-testid="streaming-answer">{answer || '…'}</p>
        </div>
      )}
      {session.agentIds.length > 1 && (
        <Select
          label="Answering agent"
          value={answering ?? ''}
          onValue={setAgent}
          options={session.agentIds.map((a) => [a, agentName(agents, a)] as const)}
          error={byField.agentId}
        />
      )}
      <TextArea label="Your message" name="content" value={content} onValue={setContent} error={byField.content} />
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      {note && <p role="status">{note}</p>}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Answering…' : 'Send'}
        </button>
        {busy && (
          <button type="button" class="danger" onClick={() => stop.current?.abort()}>
            Stop
          </button>
        )}
      </div>
    </form>
  );
}
