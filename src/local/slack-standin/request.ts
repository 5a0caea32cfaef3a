import type { IncomingMessage } from 'node:http';

/**
 * Arguments that arrive JSON-encoded in form bodies: @slack/web-api 8 form-encodes every call and
 * JSON-stringifies any value that is not a string, number, boolean or Buffer. Only these are decoded,
 * so a message text that happens to look like JSON stays text.
 */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

export interface ApiRequest {
  args: Record<string, unknown>;
  token: string | undefined;
  /** The Slack error for a body the stand-in could not read; the call is still recorded. */
  malformed?: string;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Form and multipart bodies alike, through the platform's own parser (undici's). */
async function formEntries(body: Buffer, contentType: string): Promise<Array<[string, string | File]>> {
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  return [...form.entries()];
}

async function formArgs(
  body: Buffer,
  contentType: string,
): Promise<{ args: Record<string, unknown>; malformed?: string }> {
  const args: Record<string, unknown> = {};
  let malformed: string | undefined;
  for (const [key, value] of await formEntries(body, contentType)) {
    if (typeof value !== 'string') {
      args[key] = Buffer.from(await value.arrayBuffer());
    } else if (JSON_FIELDS.has(key)) {
      try {
        args[key] = JSON.parse(value);
      } catch {
        args[key] = value;
        malformed ??= key === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments';
      }
    } else {
      args[key] = value;
    }
  }
  return { args, malformed };
}

async function bodyArgs(
  body: Buffer,
  contentType: string,
): Promise<{ args: Record<string, unknown>; malformed?: string }> {
  if (body.length === 0) return { args: {} };
  if (contentType.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      return isRecord(parsed) ? { args: parsed } : { args: {}, malformed: 'invalid_json' };
    } catch {
      return { args: {}, malformed: 'invalid_json' };
    }
  }
  if (contentType.includes('application/x-www-form-urlencoded') || contentType.includes('multipart/form-data')) {
    return formArgs(body, contentType);
  }
  return { args: {}, malformed: 'invalid_form_data' };
}

/** A Web API call as Slack reads one: query string and body merged, the token from the header or the args. */
export async function parseApiRequest(req: IncomingMessage, body: Buffer, query: URLSearchParams): Promise<ApiRequest> {
  const fromBody = await bodyArgs(body, req.headers['content-type'] ?? '');
  const args: Record<string, unknown> = { ...Object.fromEntries(query), ...fromBody.args };
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
  delete args.token;
  return fromBody.malformed === undefined ? { args, token } : { args, token, malformed: fromBody.malformed };
}

/** Upload-URL bodies: raw bytes, or multipart with the file as the first file part (web-api sends it as `body`). */
export async function uploadedBytes(req: IncomingMessage, body: Buffer): Promise<Buffer> {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.includes('multipart/form-data')) return body;
  const file = (await formEntries(body, contentType)).find(([, value]) => typeof value !== 'string');
  if (!file || typeof file[1] === 'string') return Buffer.alloc(0);
  return Buffer.from(await file[1].arrayBuffer());
}
