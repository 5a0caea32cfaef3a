import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { BOT_SCOPES } from '../../src/adapters/slack-web/scopes';

const SCHEMA_PATH = join(__dirname, '..', 'fixtures', 'slack-manifest-schema', 'manifest.schema.1.0.0.json');
const MANIFEST_PATH = join(__dirname, '..', '..', 'manifest.yml');

/** Exactly what the bot calls (reference/slack.md §2.3); any extra scope is one more thing a workspace admin must approve. */
const SCOPES = ['commands', 'chat:write', 'im:write', 'reactions:read', 'users:read', 'files:write', 'usergroups:read'];
const EVENTS = ['app_home_opened', 'reaction_added', 'user_change'];

const schema: unknown = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
const manifestText = readFileSync(MANIFEST_PATH, 'utf8');
const loadManifest = (): unknown => parse(manifestText);

function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [value] : refsIn(value),
  );
}

// Strict mode refuses the non-standard keywords in Slack's schema (`_note`, `regex`).
const ajv = new Ajv({ allErrors: true, strict: false });
// Slack's schema spells one pattern `regex` (display_information.background_color); enforce it as intended.
ajv.addKeyword({
  keyword: 'regex',
  type: 'string',
  schemaType: 'string',
  validate: (pattern: string, data: string) => new RegExp(pattern).test(data),
});
ajv.addFormat('uri', (value: string) => URL.canParse(value));
const validate = ajv.compile(schema as object);

function at(node: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined),
    node,
  );
}

function urlsIn(node: unknown, key = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((item) => urlsIn(item));
  if (typeof node === 'object' && node !== null) return Object.entries(node).flatMap(([k, value]) => urlsIn(value, k));
  return typeof node === 'string' && /url$/.test(key) ? [node] : [];
}

/** Slack's schema, plus what the schema cannot know: our scopes, events and command, and TLS everywhere. */
function manifestProblems(manifest: unknown): string[] {
  const problems = validate(manifest)
    ? []
    : (validate.errors ?? []).map((error) => `schema: ${error.instancePath || '/'} ${error.message ?? ''}`);
  const scopes = at(manifest, 'oauth_config', 'scopes', 'bot');
  if (!Array.isArray(scopes) || [...scopes].sort().join() !== [...SCOPES].sort().join())
    problems.push(`bot scopes must be exactly ${SCOPES.join(', ')}`);
  const events = at(manifest, 'settings', 'event_subscriptions', 'bot_events');
  if (!Array.isArray(events) || [...events].sort().join() !== [...EVENTS].sort().join())
    problems.push(`bot events must be exactly ${EVENTS.join(', ')}`);
  const commands = at(manifest, 'features', 'slash_commands');
  if (
    !Array.isArray(commands) ||
    commands.length !== 1 ||
    at(commands[0], 'command') !== '/vpn' ||
    at(commands[0], 'should_escape') !== true
  ) {
    problems.push('exactly one slash command, /vpn, with should_escape: true');
  }
  for (const url of urlsIn(manifest)) if (!url.startsWith('https://')) problems.push(`${url} is not https`);
  return problems;
}

describe('manifest.yml', () => {
  it('is checked against a self-contained schema: every $ref is local, so nothing is fetched', () => {
    const refs = refsIn(schema);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((ref) => !ref.startsWith('#/'))).toEqual([]);
  });

  it("validates against Slack's v1 manifest schema and our own rules", () => {
    expect(manifestProblems(loadManifest())).toEqual([]);
  });

  it('asks for exactly the scopes and events the bot uses', () => {
    const manifest = loadManifest();
    expect(at(manifest, 'oauth_config', 'scopes', 'bot')).toEqual(SCOPES);
    expect(at(manifest, 'settings', 'event_subscriptions', 'bot_events')).toEqual(EVENTS);
  });

  it('asks for the scopes doctor expects the bot token to hold (BOT_SCOPES)', () => {
    expect(at(loadManifest(), 'oauth_config', 'scopes', 'bot')).toEqual([...BOT_SCOPES]);
  });

  it('has one /vpn command that escapes mentions into member IDs, with a usage hint', () => {
    const commands = at(loadManifest(), 'features', 'slash_commands');
    expect(commands).toEqual([
      expect.objectContaining({ command: '/vpn', should_escape: true, usage_hint: expect.stringContaining('issue') }),
    ]);
  });

  it('enables the Home tab, a read-only Messages tab, interactivity, and no socket mode or token rotation', () => {
    const manifest = loadManifest();
    expect(at(manifest, 'features', 'app_home')).toEqual({
      home_tab_enabled: true,
      messages_tab_enabled: true,
      messages_tab_read_only_enabled: true,
    });
    expect(at(manifest, 'features', 'bot_user', 'display_name')).toEqual(expect.any(String));
    expect(at(manifest, 'settings', 'interactivity', 'is_enabled')).toBe(true);
    expect(at(manifest, 'settings', 'socket_mode_enabled')).toBe(false);
    expect(at(manifest, 'settings', 'token_rotation_enabled')).toBe(false);
    expect(at(manifest, 'settings', 'org_deploy_enabled')).toBe(false);
  });

  it('sends commands, events and interactivity to one https URL', () => {
    const urls = urlsIn(loadManifest());
    expect(urls).toHaveLength(3);
    expect(new Set(urls).size).toBe(1);
    expect(urls[0]).toMatch(/^https:\/\/.+\/slack\/events$/);
  });

  describe('the checks can fail', () => {
    const variant = (change: (manifest: Record<string, Record<string, unknown>>) => void): unknown => {
      const manifest = loadManifest() as Record<string, Record<string, unknown>>;
      change(manifest);
      return manifest;
    };

    it('rejects a manifest without a name (schema)', () => {
      const problems = manifestProblems(variant((m) => delete m.display_information.name));
      expect(problems).toEqual([
        expect.stringMatching(/^schema: \/display_information must have required property 'name'/),
      ]);
    });

    it('rejects an unknown property and a bad background colour (schema)', () => {
      expect(manifestProblems(variant((m) => (m.settings.webhooks = true)))).toEqual([
        expect.stringMatching(/additional properties/),
      ]);
      expect(manifestProblems(variant((m) => (m.display_information.background_color = 'navy')))).toEqual([
        expect.stringMatching(/background_color/),
      ]);
    });

    it('rejects an unknown scope, which the schema alone accepts (any string of up to 50 characters)', () => {
      const manifest = variant((m) => (m.oauth_config.scopes as { bot: string[] }).bot.push('channels:history'));
      expect(validate(manifest)).toBe(true);
      expect(manifestProblems(manifest)).toEqual([expect.stringMatching(/^bot scopes must be exactly/)]);
    });

    it('rejects a plain-http URL and an unescaped command', () => {
      const manifest = variant((m) => {
        (m.settings.interactivity as Record<string, unknown>).request_url = 'http://example.com/slack/events';
        (m.features.slash_commands as Record<string, unknown>[])[0].should_escape = false;
      });
      expect(manifestProblems(manifest)).toEqual([
        expect.stringMatching(/should_escape/),
        'http://example.com/slack/events is not https',
      ]);
    });
  });
});
