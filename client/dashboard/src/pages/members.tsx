import { useEffect, useState } from 'preact/hooks';
import { failureOf, fieldErrors, formatTime, type Failure } from '../api.js';
import { ConfirmButton, Empty, Field, FormError, Loading, Page, Select, ShownOnce, Table } from '../components.js';
import { orgApi, type OrgInvite, type OrgMember, type Role } from '../more-api.js';
import { useStepUp } from '../step-up.js';

const ROLES = [
  ['member', 'Member'],
  ['admin', 'Admin'],
  ['owner', 'Owner'],
] as const;

/** The organization's members and open invites; every change goes through the step-up guard. */
export function MembersPage() {
  const guard = useStepUp();
  const [members, setMembers] = useState<OrgMember[] | null>(null);
  const [invites, setInvites] = useState<OrgInvite[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  // The invite link lives only here, in memory, until dismissed: the server keeps only its hash.
  const [link, setLink] = useState<string | null>(null);
  const load = () => {
    orgApi
      .members()
      .then(setMembers)
      .catch((e: unknown) => setError(failureOf(e).message));
    orgApi
      .invites()
      .then(setInvites)
      .catch((e: unknown) => setError(failureOf(e).message));
  };
  useEffect(load, []);

  return (
    <Page title="Members">
      {error && <FormError message={error} />}
      <h2>Members</h2>
      {!members ? (
        <Loading what="members" />
      ) : members.length === 0 ? (
        <Empty>No members.</Empty>
      ) : (
        <Table caption="Members" columns={['Email', 'Name', 'Role']} actions>
          {members.map((m) => (
            <tr key={m.userId}>
              <td>{m.email}</td>
              <td>{m.name ?? '—'}</td>
              <td>
                <Select
                  label={`Role of ${m.email}`}
                  value={m.role}
                  options={ROLES}
                  onValue={(role) =>
                    void guard(() => orgApi.setRole(m.userId, role as Role))
                      .then(load)
                      .catch((e: unknown) => setError(failureOf(e).message))
                  }
                />
              </td>
              <td>
                <ConfirmButton
                  label={`Remove ${m.email}`}
                  confirm={`Yes, remove ${m.email}`}
                  onConfirm={async () => {
                    await guard(() => orgApi.removeMember(m.userId));
                    load();
                  }}
                />
              </td>
            </tr>
          ))}
        </Table>
      )}
      <InviteForm
        onInvited={(url) => {
          setLink(url);
          load();
        }}
      />
      {link && (
        <ShownOnce
          title="Invite link"
          label="Invite link"
          value={link}
          note="Send this link to the person you invited. It is shown only this once."
          onDismiss={() => setLink(null)}
        />
      )}
      <h2>Open invites</h2>
      {!invites ? (
        <Loading what="invites" />
      ) : invites.length === 0 ? (
        <Empty>No open invites.</Empty>
      ) : (
        <Table caption="Open invites" columns={['Email', 'Role', 'Expires']} actions>
          {invites.map((i) => (
            <tr key={i.id}>
              <td>{i.email}</td>
              <td>{i.role}</td>
              <td>{formatTime(i.expiresAt)}</td>
              <td>
                <ConfirmButton
                  label={`Revoke the invite of ${i.email}`}
                  confirm={`Yes, revoke it`}
                  onConfirm={async () => {
                    await guard(() => orgApi.revokeInvite(i.id));
                    load();
                  }}
                />
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Page>
  );
}

function InviteForm({ onInvited }: { onInvited: (url: string) => void }) {
  const guard = useStepUp();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['email', 'role']);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const invite = await guard(() => orgApi.invite({ email: email.trim(), role }));
      setEmail('');
      onInvited(invite.url);
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <Field label="Email to invite" name="email" type="email" required value={email} onValue={setEmail} error={byField.email} />
      <Select label="Their role" name="role" value={role} onValue={(r) => setRole(r as Role)} options={ROLES} error={byField.role} />
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      <button type="submit" disabled={busy}>
        {busy ? 'Inviting…' : 'Send invite'}
      </button>
    </form>
  );
}
