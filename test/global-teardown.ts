export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamodb?: { stop(): Promise<void> } }).__dynamodb?.stop();
}
