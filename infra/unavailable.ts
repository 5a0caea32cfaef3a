/**
 * Stand-in for Express, raw-body, Socket Mode and OAuth in Lambda bundles. Bolt's App module loads every
 * receiver when it is imported, but on Lambda only AwsLambdaReceiver runs; bundling the others
 * would add ~1.2 MB (Express's body parsers, undici, mime tables). Using this stub throws.
 */
const fail = (): never => {
  throw new Error('This part of Bolt (HTTP/Express receiver, Socket Mode, OAuth) is not in the Lambda bundle.');
};

const unavailable: unknown = new Proxy(function unavailable() {}, {
  get: (_target, property) => (property === '__esModule' ? false : unavailable),
  apply: fail,
  construct: fail,
});

export = unavailable;
