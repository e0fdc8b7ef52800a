/** Redis's protocol limits (networking.c), shared by the server's request parser and the proxy's scanner. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** Redis 7 accepts any multibulk count up to INT_MAX (arguments are read as they arrive). */
export const PROTO_MBULK_MAX_LEN = 0x7fffffff;
export const PROTO_DEFAULT_MAX_BULK_LEN = 512 * 1024 * 1024;
/** The longest string V8 can hold; a bulk longer than this cannot become a latin1 string. */
export const MAX_STRING_BYTES = (1 << 29) - 24;
