import type { IncomingMessage } from 'node:http';

/**
 * Why a request to a loopback server is refused, or undefined when it may be served.
 *
 * Binding 127.0.0.1 keeps other machines out, not the web pages this machine's browser shows: a page
 * can POST a "simple" (text/plain, form) request to 127.0.0.1 without a CORS preflight, and, after
 * DNS rebinding, read answers from a name it controls that now resolves to 127.0.0.1. Such requests
 * carry that name in Host, so only `127.0.0.1:<port>` and `localhost:<port>` are served.
 */
export function hostRefusal(req: IncomingMessage, port: number): string | undefined {
  const host = req.headers.host?.toLowerCase();
  if (host === `127.0.0.1:${port}` || host === `localhost:${port}`) return undefined;
  return `Refused: this local server answers only requests for 127.0.0.1:${port} or localhost:${port} (Host was ${host === undefined ? 'missing' : JSON.stringify(host)}). Open http://localhost:${port}/ in your browser.`;
}

/**
 * The console's own checks on top of the Host one: a browser request from another origin carries
 * that Origin, and a POST the page itself sends is JSON, which other pages cannot send cross-origin
 * without a preflight the server never answers.
 */
export function consoleRefusal(
  req: IncomingMessage,
  port: number,
  options: { requireJson: boolean },
): string | undefined {
  const refusal = hostRefusal(req, port);
  if (refusal) return refusal;
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${req.headers.host!.toLowerCase()}`) {
    return `Refused: a request from ${JSON.stringify(origin)}; the console answers only its own page at http://${req.headers.host}/.`;
  }
  if (options.requireJson && req.method === 'POST') {
    const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
    if (type !== 'application/json')
      return `Refused: the console's API takes only Content-Type: application/json (got ${type === undefined ? 'none' : JSON.stringify(type)}).`;
  }
  return undefined;
}
