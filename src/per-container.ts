/**
 * What a Lambda function builds once per container (configuration, clients, the app) on its first
 * invocation, shared by the invocations that arrive while it is being built. A build that fails is
 * forgotten, so one Secrets Manager hiccup does not fail every invocation this container ever sees.
 */
export function perContainer<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}
