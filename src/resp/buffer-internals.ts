/**
 * Node's Buffer has fast latin1 slice/write methods that @types/node does not declare. Latin1 maps each byte
 * to one UTF-16 code unit 0..255 and back, so keys and values kept as latin1 strings are binary-safe.
 */
declare global {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    latin1Write(value: string, offset: number, length?: number): number;
    asciiSlice(start: number, end: number): string;
  }
}

export {};
