import type { AuditEntry } from '../../src/domain/audit';
import type { CertificateRecord } from '../../src/domain/certificate';
import type { AuditLog } from '../../src/ports';
import { SuspensionDeps, reenableCertificate } from '../../src/services/suspension';
import { certificateRecord } from '../helpers/records';

function recordingAudit(): AuditLog & { entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  return {
    entries,
    append: async (entry) => {
      const written = { ...entry, id: String(entries.length), at: entry.at ?? new Date(0) };
      entries.push(written);
      return written;
    },
    query: async () => entries,
  };
}

/** One certificate, paused by "Not me" unless told otherwise; the store lifts a pause only from a paused certificate. */
function world(record: CertificateRecord | undefined, admins: string[] = ['U0ADMIN']) {
  const audit = recordingAudit();
  const lifted: string[] = [];
  const deps: SuspensionDeps = {
    certificates: {
      get: async (serial) => (record?.serial === serial ? record : undefined),
      setSuspended: async (serial, suspended) => {
        if (record?.serial !== serial || suspended || record.status !== 'suspended') return false;
        lifted.push(serial);
        return true;
      },
    },
    admins: { isAdmin: async (id) => admins.includes(id) },
    audit,
  };
  return { deps, audit, lifted };
}

describe('reenableCertificate', () => {
  const paused = certificateRecord({ serial: 'AB01', status: 'suspended', slackId: 'U0JANE' });

  it('lets the owner lift the pause, and audits it against the owner', async () => {
    const { deps, audit, lifted } = world(paused);
    expect(await reenableCertificate(deps, { serial: 'AB01', actor: 'U0JANE' })).toBe('reenabled');
    expect(lifted).toEqual(['AB01']);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: 'U0JANE',
        action: 'certificate.reenable',
        target: 'U0JANE',
        outcome: 'success',
        details: { serial: 'AB01' },
      }),
    ]);
  });

  it("lets an admin lift someone else's pause", async () => {
    const { deps, audit, lifted } = world(paused);
    expect(await reenableCertificate(deps, { serial: 'AB01', actor: 'U0ADMIN' })).toBe('reenabled');
    expect(lifted).toEqual(['AB01']);
    expect(audit.entries).toEqual([
      expect.objectContaining({ actor: 'U0ADMIN', action: 'certificate.reenable', target: 'U0JANE' }),
    ]);
  });

  it('refuses anyone else, audits the refusal, and leaves the pause', async () => {
    const { deps, audit, lifted } = world(paused);
    expect(await reenableCertificate(deps, { serial: 'AB01', actor: 'U0BOB' })).toBe('refused');
    expect(lifted).toEqual([]);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: 'U0BOB',
        action: 'access.refused',
        target: 'AB01',
        outcome: 'refused',
        details: { what: 're-enable' },
      }),
    ]);
  });

  it('refuses an unknown serial, even to an admin', async () => {
    const { deps, audit, lifted } = world(undefined);
    expect(await reenableCertificate(deps, { serial: 'AB01', actor: 'U0ADMIN' })).toBe('refused');
    expect(lifted).toEqual([]);
    expect(audit.entries).toEqual([
      expect.objectContaining({ actor: 'U0ADMIN', action: 'access.refused', target: 'AB01' }),
    ]);
  });

  it('writes nothing for a certificate that is not paused, such as a second click', async () => {
    const { deps, audit, lifted } = world({ ...paused, status: 'active' });
    expect(await reenableCertificate(deps, { serial: 'AB01', actor: 'U0JANE' })).toBe('unchanged');
    expect(lifted).toEqual([]);
    expect(audit.entries).toEqual([]);
  });

  it('names the serial as the target of a certificate with no owner', async () => {
    const { deps, audit } = world({ ...paused, slackId: undefined });
    expect(await reenableCertificate(deps, { serial: 'AB01', actor: 'U0ADMIN' })).toBe('reenabled');
    expect(audit.entries[0]).toMatchObject({ action: 'certificate.reenable', target: 'AB01' });
  });
});
