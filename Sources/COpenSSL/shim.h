// The system OpenSSL 3 (Debian: libssl-dev), used by the TLS target. Many of its settings are C macros over
// SSL_CTX_ctrl, and its callbacks are C function pointers: these inline wrappers expose both to Swift.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <errno.h>
#include <sys/socket.h>

static inline long copenssl_ctx_set_min_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long copenssl_ctx_set_max_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long copenssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline void copenssl_ctx_set_read_ahead(SSL_CTX *ctx) { SSL_CTX_set_read_ahead(ctx, 1); }
static inline void copenssl_ctx_clear_auto_retry(SSL_CTX *ctx) { SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY); }
static inline long copenssl_ctx_set_groups_list(SSL_CTX *ctx, const char *list) {
    return SSL_CTX_set1_groups_list(ctx, list);
}
static inline long copenssl_ctx_add0_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return SSL_CTX_add0_chain_cert(ctx, cert);
}
static inline long copenssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline uint64_t copenssl_default_options(void) {
    // No renegotiation (a client-driven CPU sink, and HTTP/1.1 never needs it), no compression, TLS 1.3 middlebox
    // compatibility left on (the default).
    return SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
}
static inline uint64_t copenssl_op_cipher_server_preference(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t copenssl_op_prioritize_chacha(void) { return SSL_OP_PRIORITIZE_CHACHA; }
static inline long copenssl_default_mode(void) {
    // Partial writes: a response goes out record by record as the socket takes it; the buffers are the
    // response's own and stay put between retries. Idle connections give their read and write buffers back.
    return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS;
}

/// ALPN: HTTP/1.1 only. A client offering protocols, none of them http/1.1, is refused (as Go's server does).
static int copenssl_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char supported[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, supported, sizeof supported, in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}
static inline void copenssl_ctx_set_alpn_http11(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, copenssl_alpn_select, NULL);
}
static inline long copenssl_ctx_set_alpn_protos_http11(SSL_CTX *ctx) {
    static const unsigned char protos[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    return SSL_CTX_set_alpn_protos(ctx, protos, sizeof protos);
}

/// Does any subject alternative name of `cert` (DNS, email, IP address, URI) equal one of the lines of `allowed`
/// (newline-separated)? IP addresses compare in their printed form.
static inline int copenssl_san_allowed(X509 *cert, const char *allowed) {
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) return 0;
    int found = 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(names) && !found; i++) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        char text[256];
        text[0] = 0;
        if (name->type == GEN_DNS || name->type == GEN_EMAIL || name->type == GEN_URI) {
            const ASN1_IA5STRING *s = name->d.ia5;
            if (s->length <= 0 || s->length >= (int)sizeof text) continue;
            memcpy(text, s->data, (size_t)s->length);
            text[s->length] = 0;
            if (strlen(text) != (size_t)s->length) continue;  // an embedded NUL: never a match
        } else if (name->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *ip = name->d.iPAddress;
            if (ip->length == 4) {
                snprintf(text, sizeof text, "%d.%d.%d.%d", ip->data[0], ip->data[1], ip->data[2], ip->data[3]);
            } else if (ip->length == 16) {
                if (inet_ntop(AF_INET6, ip->data, text, sizeof text) == NULL) continue;
            } else {
                continue;
            }
        } else {
            continue;
        }
        const char *line = allowed;
        size_t length = strlen(text);
        while (*line) {
            const char *end = strchr(line, '\n');
            size_t lineLength = end ? (size_t)(end - line) : strlen(line);
            if (lineLength == length && memcmp(line, text, length) == 0) { found = 1; break; }
            if (!end) break;
            line = end + 1;
        }
    }
    GENERAL_NAMES_free(names);
    return found;
}

/// Verify callback for RequestClientCert and RequireAnyClientCert: a certificate is asked for, never checked.
static int copenssl_verify_accept_any(int ok, X509_STORE_CTX *store) { (void)ok; (void)store; return 1; }

/// Verify callback with `client_allowed_sans`: the chain must verify, and the leaf must carry one of the names
/// kept as the context's app data (newline-separated).
static int copenssl_verify_allowed_sans(int ok, X509_STORE_CTX *store) {
    if (!ok) return 0;
    if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    if (ssl == NULL) return 0;
    const char *allowed = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    X509 *leaf = X509_STORE_CTX_get_current_cert(store);
    if (allowed == NULL || leaf == NULL) return 0;
    if (copenssl_san_allowed(leaf, allowed)) return 1;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

/// 0 none, 1 request (any), 2 require (any), 3 verify if given, 4 require and verify. `allowedSANs` (may be
/// NULL) must outlive the context.
static inline void copenssl_ctx_set_client_auth(SSL_CTX *ctx, int policy, const char *allowedSANs) {
    SSL_CTX_set_app_data(ctx, (void *)allowedSANs);
    SSL_verify_cb verify = allowedSANs ? copenssl_verify_allowed_sans : NULL;
    switch (policy) {
    case 1: SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, copenssl_verify_accept_any); break;
    case 2: SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, copenssl_verify_accept_any); break;
    case 3: SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify); break;
    case 4: SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify); break;
    default: SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); break;
    }
}

/// The oldest error on the thread's queue as text (then the queue is cleared); empty when none.
static inline void copenssl_last_error(char *buffer, size_t size) {
    unsigned long code = ERR_peek_last_error();
    buffer[0] = 0;
    if (code != 0) ERR_error_string_n(code, buffer, size);
    ERR_clear_error();
}

// MARK: - Gathered output

/// Ciphertext OpenSSL has written and the owner has not yet sent, so that the records of a large response leave in
/// one send(2) instead of one write(2) per 16 KB record (on loopback each send costs a trip through both ends' TCP
/// stacks and a wake-up of the reader). The records of every connection one thread drives gather in one shared
/// buffer (`copenssl_gather_shared`, made and owned by that thread's owner): a flush that sends them all allocates
/// nothing. Only what the socket would not take moves to the connection's own buffer, freed once sent, so an idle
/// connection holds nothing.
///
/// No C statics here: a static inside a header's inline function exists once per object file that calls it, so
/// the method and the shared buffer are made by the caller and passed in.
typedef struct {
    unsigned char *bytes;
    size_t start, end, capacity;
} copenssl_bytes;

typedef struct {
    copenssl_bytes bytes;
    /// The BIO whose bytes `bytes` holds; NULL when empty.
    BIO *owner;
} copenssl_gather_shared;

typedef struct {
    copenssl_bytes own;
    copenssl_gather_shared *shared;
    /// Bytes of this connection were lost (memory ran out while moving them): its stream is broken.
    int broken;
} copenssl_gathered;

/// Unsent bytes one connection may hold before OpenSSL is told to retry later. A client that stops reading while
/// its requests keep making OpenSSL answer (TLS 1.3 key updates, refused renegotiations) would otherwise grow them
/// without end; past it `SSL_read` reports WANT_WRITE and the connection waits until its socket drains.
static inline size_t copenssl_gather_cap(void) { return 512 * 1024; }

static inline int copenssl_bytes_append(copenssl_bytes *b, const unsigned char *data, size_t length) {
    size_t need = b->end + length;
    if (need > b->capacity && b->start > 0) {
        memmove(b->bytes, b->bytes + b->start, b->end - b->start);
        b->end -= b->start;
        b->start = 0;
        need = b->end + length;
    }
    if (need > b->capacity) {
        size_t capacity = b->capacity > 0 ? b->capacity : 16384;
        while (capacity < need) capacity *= 2;
        unsigned char *grown = realloc(b->bytes, capacity);
        if (grown == NULL) return 0;
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->end, data, length);
    b->end += length;
    return 1;
}

static inline void copenssl_bytes_free(copenssl_bytes *b) {
    free(b->bytes);
    b->bytes = NULL;
    b->start = b->end = b->capacity = 0;
}

/// Moves what the shared buffer holds to its owner's own buffer (a flush that could not send it all, or one that
/// never came): bytes never leave on another connection's socket. Memory running out marks the owner broken.
static inline void copenssl_gather_spill(copenssl_gather_shared *shared) {
    copenssl_bytes *scratch = &shared->bytes;
    if (shared->owner != NULL && scratch->end > scratch->start) {
        copenssl_gathered *g = BIO_get_data(shared->owner);
        if (g != NULL && !copenssl_bytes_append(&g->own, scratch->bytes + scratch->start, scratch->end - scratch->start)) {
            g->broken = 1;
        }
    }
    scratch->start = scratch->end = 0;
    shared->owner = NULL;
}

/// This connection's unsent bytes.
static inline size_t copenssl_gather_unsent(BIO *bio, const copenssl_gathered *g) {
    size_t count = g->own.end - g->own.start;
    if (g->shared->owner == bio) count += g->shared->bytes.end - g->shared->bytes.start;
    return count;
}

static inline int copenssl_gather_write(BIO *bio, const char *data, int length) {
    copenssl_gathered *g = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (g == NULL || length < 0 || g->broken) return -1;
    if (copenssl_gather_unsent(bio, g) >= copenssl_gather_cap()) {
        BIO_set_retry_write(bio);
        return -1;
    }
    copenssl_gather_shared *shared = g->shared;
    if (shared->owner != NULL && shared->owner != bio) copenssl_gather_spill(shared);
    // Bytes already waiting in the connection's own buffer go first: new ones queue behind them.
    if (g->own.end > g->own.start) {
        if (copenssl_bytes_append(&g->own, (const unsigned char *)data, (size_t)length)) return length;
        g->broken = 1;
        return -1;
    }
    if (!copenssl_bytes_append(&shared->bytes, (const unsigned char *)data, (size_t)length)) return -1;
    shared->owner = bio;
    return length;
}

static inline int copenssl_gather_read(BIO *bio, char *data, int length) {
    (void)bio; (void)data; (void)length;
    return -1;  // write-only
}

static inline long copenssl_gather_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)bio; (void)number; (void)pointer;
    // The owner sends; OpenSSL's flush only marks the end of a flight.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

static inline int copenssl_gather_create(BIO *bio) {
    (void)bio;
    return 1;  // the data is attached by copenssl_gather_bio_new
}

static inline int copenssl_gather_destroy(BIO *bio) {
    copenssl_gathered *g = BIO_get_data(bio);
    if (g) {
        if (g->shared->owner == bio) {
            g->shared->bytes.start = g->shared->bytes.end = 0;
            g->shared->owner = NULL;
        }
        copenssl_bytes_free(&g->own);
        free(g);
    }
    BIO_set_data(bio, NULL);
    return 1;
}

/// The gathering BIO method; the caller makes it once and keeps it.
static inline BIO_METHOD *copenssl_gather_method_new(void) {
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "runstatus gathered output");
    if (method == NULL) return NULL;
    BIO_meth_set_write(method, copenssl_gather_write);
    BIO_meth_set_read(method, copenssl_gather_read);
    BIO_meth_set_ctrl(method, copenssl_gather_ctrl);
    BIO_meth_set_create(method, copenssl_gather_create);
    BIO_meth_set_destroy(method, copenssl_gather_destroy);
    return method;
}

/// A shared buffer for the connections one thread drives; NULL when out of memory.
static inline copenssl_gather_shared *copenssl_gather_shared_new(void) {
    return calloc(1, sizeof(copenssl_gather_shared));
}

/// Frees the shared buffer once no BIO uses it any more.
static inline void copenssl_gather_shared_free(copenssl_gather_shared *shared) {
    if (shared == NULL) return;
    copenssl_bytes_free(&shared->bytes);
    free(shared);
}

/// A gathering BIO whose records go through `shared`; NULL when out of memory.
static inline BIO *copenssl_gather_bio_new(BIO_METHOD *method, copenssl_gather_shared *shared) {
    copenssl_gathered *g = calloc(1, sizeof *g);
    if (g == NULL) return NULL;
    g->shared = shared;
    BIO *bio = BIO_new(method);
    if (bio == NULL) {
        free(g);
        return NULL;
    }
    BIO_set_data(bio, g);
    BIO_set_init(bio, 1);
    return bio;
}

/// Sends what `bio` gathered to `fd`, its own buffer first: 1 all sent, 0 the socket is full (the rest is kept), -1
/// an error (errno says which).
static inline int copenssl_gather_flush(BIO *bio, int fd) {
    copenssl_gathered *g = BIO_get_data(bio);
    if (g == NULL) { errno = EINVAL; return -1; }
    if (g->broken) { errno = ENOMEM; return -1; }
    copenssl_gather_shared *shared = g->shared;
    copenssl_bytes *queues[2] = { &g->own, shared->owner == bio ? &shared->bytes : NULL };
    for (int i = 0; i < 2; i++) {
        copenssl_bytes *q = queues[i];
        while (q != NULL && q->end > q->start) {
            ssize_t sent = send(fd, q->bytes + q->start, q->end - q->start, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent > 0) {
                q->start += (size_t)sent;
                continue;
            }
            if (sent < 0 && errno == EINTR) continue;
            if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (shared->owner == bio) copenssl_gather_spill(shared);
                if (g->broken) { errno = ENOMEM; return -1; }
                return 0;
            }
            if (sent == 0) errno = EPIPE;
            return -1;
        }
    }
    copenssl_bytes_free(&g->own);
    if (shared->owner == bio) {
        shared->bytes.start = shared->bytes.end = 0;
        shared->owner = NULL;
    }
    return 1;
}

/// The server reads straight from the socket and writes through a gathering BIO.
static inline int copenssl_set_gathering_bios(SSL *ssl, int fd, BIO_METHOD *method, copenssl_gather_shared *shared,
                                              BIO **gathered) {
    BIO *reading = BIO_new_socket(fd, BIO_NOCLOSE);
    BIO *writing = copenssl_gather_bio_new(method, shared);
    if (reading == NULL || writing == NULL) {
        BIO_free(reading);
        BIO_free(writing);
        return 0;
    }
    SSL_set_bio(ssl, reading, writing);
    *gathered = writing;
    return 1;
}
