/**
 * Node hands received bytes over as Buffers. Everything above the transport works on plain
 * Uint8Arrays, whose `slice` copies (Buffer's returns a view) and which compare equal to other
 * Uint8Arrays, so received bytes are re-viewed once here, without copying.
 */
export function plainBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
