import fc from 'fast-check';
import type { AuditEntry } from '../../src/domain/audit';
import { auditCsv, csvField, recordAuditExport } from '../../src/services/audit-export';
import { MemoryAuditLog } from '../helpers/memory-stores';

/** A strict RFC 4180 reader, to check what a spreadsheet would get back. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else if (c === '"' || c === '\r' || c === '\n') {
      throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length) throw new Error('the last record does not end in CRLF');
  return rows;
}

describe('audit CSV', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['+SUM(A1)', "'+SUM(A1)"],
    ['-2', "'-2"],
    ['@cmd', "'@cmd"],
    ['\tTAB', "'\tTAB"],
    ['=HYPERLINK("x","y")', `"'=HYPERLINK(""x"",""y"")"`],
    ['a=b', 'a=b'],
  ])('%j → %s', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('reads back exactly, with formula starts defused, for any text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit: 'binary' }), { minLength: 6, maxLength: 6 }), { maxLength: 5 }),
        (cells) => {
          const entries: AuditEntry[] = cells.map(([actor, action, target, outcome, detail], i) => ({
            id: String(i),
            at: new Date(1_700_000_000_000 + i),
            actor,
            action: action as AuditEntry['action'],
            target,
            outcome: outcome as AuditEntry['outcome'],
            details: { detail },
          }));
          const rows = readCsv(auditCsv(entries));
          expect(rows[0]).toEqual(['time', 'actor', 'action', 'target', 'outcome', 'details']);
          rows.slice(1).forEach((row, i) => {
            const e = entries[i];
            const expected = [
              e.at.toISOString(),
              e.actor,
              e.action,
              e.target,
              e.outcome,
              JSON.stringify(e.details),
            ].map((v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v));
            expect(row).toEqual(expected);
            // Nothing a spreadsheet would evaluate.
            for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
          });
          expect(rows).toHaveLength(entries.length + 1);
        },
      ),
    );
  });
});

describe('recordAuditExport', () => {
  it('puts the export on the trail: who, about whom (or all), the window and how much', async () => {
    const audit = new MemoryAuditLog();
    const since = new Date('2026-11-01T00:00:00.000Z');
    const until = new Date('2026-12-01T00:00:00.000Z');
    await recordAuditExport(audit, { actor: 'U0ADMIN', since, until, entries: 12, truncated: false });
    await recordAuditExport(audit, { actor: 'U0ADMIN', slackId: 'U0BOB', since, until, entries: 3, truncated: true });
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: 'U0ADMIN',
        action: 'audit.export',
        target: 'all',
        outcome: 'success',
        details: { since: since.toISOString(), until: until.toISOString(), entries: 12, truncated: false },
      }),
      expect.objectContaining({
        target: 'U0BOB',
        details: { since: since.toISOString(), until: until.toISOString(), entries: 3, truncated: true },
      }),
    ]);
  });
});
