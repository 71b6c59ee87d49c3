/**
 * Reads a web stream to its end, or stops once it passes `limit` bytes: undefined then, and the stream is cancelled,
 * so a body that is too large is neither buffered nor waited for. A missing stream is an empty body. Used for request
 * bodies (JIT endpoints) and for answers (the Graph client), which must both stay bounded whatever the peer sends.
 */
export async function readStreamUpTo(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | undefined> {
  if (stream === null) return new Uint8Array();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
