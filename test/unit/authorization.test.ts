import type { AuditEntry } from '../../src/domain/audit';
import { VpnChatopsError } from '../../src/domain/errors';
import type { AuditLog } from '../../src/ports';
import { auditRefusal, checkAdmin, requireAdmin } from '../../src/services/authorization';

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

describe('authorization', () => {
  it('lets an admin through and writes nothing', async () => {
    const audit = recordingAudit();
    await requireAdmin({ admins: { isAdmin: async (id) => id === 'UADMIN' }, audit }, 'UADMIN', 'publish the CRL');
    expect(audit.entries).toEqual([]);
  });

  it('refuses anyone else with what they tried, and audits it before failing', async () => {
    const audit = recordingAudit();
    const refused = requireAdmin({ admins: { isAdmin: async () => false }, audit }, 'UBOB', 'publish the CRL');
    await expect(refused).rejects.toThrow(new VpnChatopsError('FORBIDDEN', 'Only VPN admins can publish the CRL.'));
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: 'UBOB',
        action: 'access.refused',
        target: 'UBOB',
        outcome: 'refused',
        details: { what: 'publish the CRL' },
      }),
    ]);
  });

  it('answers whether the actor is an admin, auditing a refusal for the caller to word', async () => {
    const audit = recordingAudit();
    const admins = { isAdmin: async (id: string) => id === 'UADMIN' };
    await expect(checkAdmin({ admins, audit }, 'UADMIN', 'run doctor')).resolves.toBe(true);
    expect(audit.entries).toEqual([]);
    await expect(checkAdmin({ admins, audit }, 'UBOB', 'run doctor')).resolves.toBe(false);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: 'UBOB',
        action: 'access.refused',
        target: 'UBOB',
        details: { what: 'run doctor' },
      }),
    ]);
  });

  it('caps an outside target at 40 characters and keeps the details', async () => {
    const audit = recordingAudit();
    await auditRefusal(audit, {
      actor: 'UBOB',
      what: 're-enable',
      target: 'x'.repeat(500),
      details: { why: 'not theirs' },
    });
    expect(audit.entries[0]).toMatchObject({
      target: 'x'.repeat(40),
      details: { what: 're-enable', why: 'not theirs' },
    });
  });
});
