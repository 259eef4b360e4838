// zlib for gzip-encoded scrapes (Debian: zlib1g-dev). deflateInit2 and inflateInit2 are macros, which Swift
// cannot call: these inline functions expose them.
#include <zlib.h>

/// windowBits 15 + 16: gzip framing (RFC 1952) rather than a zlib stream.
static inline int czlib_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

static inline int czlib_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}
