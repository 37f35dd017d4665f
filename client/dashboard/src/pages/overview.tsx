import { useEffect, useState } from 'preact/hooks';
import type { ActivityItem, MissionControlSnapshot } from '@alumia/client';
import { client, failureOf, formatTime } from '../api.js';
import { Empty, FormError, Loading, Page } from '../components.js';

/** Mission Control: the agents, the last day's and week's numbers, the machines, and the activity feed. */
export function OverviewPage() {
  const [snapshot, setSnapshot] = useState<MissionControlSnapshot | null>(null);
  const [feed, setFeed] = useState<ActivityItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [more, setMore] = useState(false);

  useEffect(() => {
    client
      .missionControl({ limit: 25 })
      .then((s) => {
        setSnapshot(s);
        setFeed(s.activity.items);
        setCursor(s.activity.nextCursor);
      })
      .catch((e: unknown) => setError(failureOf(e).message));
  }, []);

  const loadMore = async () => {
    if (!cursor) return;
    setMore(true);
    try {
      const page = await client.missionControl.activityPage({ limit: 25, cursor });
      setFeed((f) => [...f, ...page.items]);
      setCursor(page.nextCursor);
    } catch (e) {
      setError(failureOf(e).message);
    } finally {
      setMore(false);
    }
  };

  if (error) return <Page title="Overview">{<FormError message={error} />}</Page>;
  if (!snapshot) return <Page title="Overview">{<Loading what="the overview" />}</Page>;
  const { agents, stats, machines } = snapshot;
  return (
    <Page title="Overview">
      <div class="cards">
        <Stat label="Agents" value={`${agents.active} active of ${agents.total}`} />
        <Stat label="Sessions (24 h)" value={stats.last24h.sessions} />
        <Stat label="Messages (24 h)" value={stats.last24h.messages} />
        <Stat label="Tokens (7 days)" value={stats.last7d.tokens} />
        <Stat label="Credits used (7 days)" value={stats.last7d.creditsUsed.credits} />
      </div>

      <h2>Machines</h2>
      {machines.length === 0 ? (
        <Empty>No server has reported in yet.</Empty>
      ) : (
        <ul class="plain">
          {machines.map((m) => (
            <li key={m.id}>
              <strong>{m.name}</strong> {m.status} · version {m.version} · {m.requestsLast5m} requests in 5 min
            </li>
          ))}
        </ul>
      )}

      <h2>Activity</h2>
      {feed.length === 0 ? (
        <Empty>Nothing has happened yet. Create an agent or mint a key and it shows up here.</Empty>
      ) : (
        <ol class="feed" aria-label="Activity feed">
          {feed.map((a) => (
            <li key={a.id}>
              <time dateTime={a.createdAt}>{formatTime(a.createdAt)}</time> <span class="kind">{a.kind}</span> {a.summary}{' '}
              <span class="hint">by {a.actor.name}</span>
            </li>
          ))}
        </ol>
      )}
      {cursor && (
        <button type="button" class="secondary" disabled={more} onClick={() => void loadMore()}>
          {more ? 'Loading…' : 'Show older activity'}
        </button>
      )}
    </Page>
  );
}

const Stat = ({ label, value }: { label: string; value: string | number }) => (
  <div class="card">
    <div class="hint">{label}</div>
    <div class="stat">{value}</div>
  </div>
);
