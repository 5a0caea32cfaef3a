import { MAX_COMMAND_TEXT, parseVpnCommand } from '../../src/slack/listeners/commands/parse';

describe('parseVpnCommand', () => {
  it.each([
    ['issue', { kind: 'issue' }],
    ['  issue   work laptop ', { kind: 'issue', device: 'work laptop' }],
    ['revoke', { kind: 'revoke', reason: 'keyCompromise' }],
    ['revoke <@U012ABC>', { kind: 'revoke', target: 'U012ABC', reason: 'affiliationChanged' }],
    ['revoke <@W0ABC|jane> superseded', { kind: 'revoke', target: 'W0ABC', reason: 'superseded' }],
    ['REVOKE <@U012ABC> keycompromise', { kind: 'revoke', target: 'U012ABC', reason: 'keyCompromise' }],
    ['status', { kind: 'status' }],
    ['list', { kind: 'list' }],
    ['list <@U0BOB|bob>', { kind: 'list', target: 'U0BOB' }],
    ['crl', { kind: 'crl' }],
    ['logs', { kind: 'logs', hours: 24 }],
    ['logs 48', { kind: 'logs', hours: 48 }],
    ['LOGS 6h', { kind: 'logs', hours: 6 }],
    ['logs 1000', { kind: 'logs', hours: 1000 }],
    ['logs 99999999999999999999999', { kind: 'logs', hours: 1_000_000 }],
    ['logs tls', { kind: 'logs', hours: 24, tls: true }],
    ['logs TLS 6h', { kind: 'logs', hours: 6, tls: true }],
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
  ])('%j', (text, expected) => {
    expect(parseVpnCommand(text)).toEqual(expected);
  });

  it.each([
    ['revoke <#C0123|general>', /channel/],
    ['revoke @jane', /not a mention/],
    ['revoke <!here>', /Mention one person/],
    ['revoke <@U0A> because', /"because" is not a revocation reason\. Use one of: unspecified, keyCompromise/],
    [
      'revoke <@U0A> REMOVEFROMCRL',
      /^removeFromCRL is not a reason to revoke: it only takes an entry off a delta CRL.*Use one of: (?!.*removeFromCRL)/,
    ],
    ['revoke <@U0A> superseded extra', /one person and at most one reason/],
    ['list <@U0A> <@U0B>', /list \[@user\]/],
    ['status now', /takes no arguments/],
    ['logs abc', /"abc" is not a number of hours/],
    ['logs -5', /"-5" is not a number of hours/],
    ['logs 1.5', /"1.5" is not a number of hours/],
    ['logs 0', /0 hours has nothing in it/],
    ['logs 24 48', /Use `\/vpn logs \[hours\]`/],
    ['logs tls 1.5', /"1.5" is not a number of hours\. Use `\/vpn logs tls \[hours\]`/],
    ['logs tls 0', /0 hours has nothing in it\. Use `\/vpn logs tls \[hours\]`/],
    ['delete everything', /I don't know "delete"/],
    ['x'.repeat(MAX_COMMAND_TEXT + 1), /characters long/],
  ])('%j → help with a reason', (text, problem) => {
    const parsed = parseVpnCommand(text);
    expect(parsed.kind).toBe('help');
    expect(parsed.kind === 'help' && parsed.problem).toMatch(problem);
  });
});

describe('parseVpnCommand: doctor and audit', () => {
  it.each([
    ['doctor', { kind: 'doctor' }],
    ['audit', { kind: 'audit' }],
    ['audit <@U0BOB|bob>', { kind: 'audit', target: 'U0BOB' }],
    ['audit 30d', { kind: 'audit', since: { days: 30 } }],
    ['audit <@U0BOB> 2026-11-01', { kind: 'audit', target: 'U0BOB', since: { at: new Date('2026-11-01T00:00:00Z') } }],
    [
      'AUDIT 2026-11-01T09:30Z <@U0BOB>',
      { kind: 'audit', target: 'U0BOB', since: { at: new Date('2026-11-01T09:30:00Z') } },
    ],
    ['audit 2024-02-29T23:59:59Z', { kind: 'audit', since: { at: new Date('2024-02-29T23:59:59Z') } }],
  ])('%j', (text, expected) => {
    expect(parseVpnCommand(text)).toEqual(expected);
  });

  it.each([
    ['doctor now', /takes no arguments/],
    ['audit yesterday', /"yesterday" is not a start date/],
    ['audit 2026-02-30', /"2026-02-30" is not a start date/],
    ['audit 2026-11-01T25:00Z', /is not a start date/],
    ['audit 0d', /"0d" is not a start date/],
    ['audit 9999d', /at most 3650/],
    ['audit 30d 2026-11-01', /\/vpn audit \[@user\] \[since\]/],
    ['audit <@U0A> <@U0B>', /\/vpn audit \[@user\] \[since\]/],
    ['audit <#C0123|general>', /That is a channel/],
    ['audit @jane', /not a mention/],
    ['audit <@U0A> 30d extra', /\/vpn audit \[@user\] \[since\]/],
  ])('%j → help with a reason', (text, problem) => {
    const parsed = parseVpnCommand(text);
    expect(parsed.kind).toBe('help');
    expect(parsed.kind === 'help' && parsed.problem).toMatch(problem);
  });
});
