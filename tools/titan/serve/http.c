/* http.c: see http.h. Per connection: the body is gathered (refused past
 * max_body, early when Content-Length says so), then routed. A generation
 * request takes a slot (503 after the pool's wait) and answers whole, or
 * streams: the reader callback decodes a token per call on the
 * connection's thread and gives the slot back when the response is freed.
 * Between tokens both check the socket: a client that went away ends its
 * generation there and frees the slot at once. */
#include "tools/titan/serve/http.h"

#include "tools/titan/serve/complete.h"
#include "tools/titan/serve/reply.h"
#include "tools/titan/serve/request.h"
#include "tools/titan/serve/score.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct serve_http {
    struct MHD_Daemon *d;
    serve_pool *pool;
    serve_http_opts o;
    atomic_ullong requests;
    atomic_bool stopping;
};

typedef struct {
    char *body;
    size_t len, cap;
    bool too_big;
    void *parse; /* the request's parse arena's block */
} conn;

enum { CHUNK_BYTES = 16384, ERR_BYTES = 256 };

typedef struct {
    serve_http *h;
    serve_slot *slot;
    serve_params p;
    serve_completion c;
    reply_meta m;
    void *parse;
    int fd; /* the client's socket */
    char buf[CHUNK_BYTES];
    size_t off, len;
    bool sent_last, done;
} stream;

static enum MHD_Result send_body(struct MHD_Connection *con, int status, char *body,
                                 size_t len, const char *type) {
    if (!body) {
        static char oom[] = "{\"error\":{\"message\":\"out of memory\",\"type\":"
                            "\"server_error\",\"code\":500}}";
        struct MHD_Response *r =
            MHD_create_response_from_buffer(strlen(oom), oom, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Content-Type", "application/json");
        enum MHD_Result ret = MHD_queue_response(con, 500, r);
        MHD_destroy_response(r);
        return ret;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    if (status == 503) MHD_add_response_header(r, "Retry-After", "1");
    enum MHD_Result ret = MHD_queue_response(con, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *con, int status, char *body,
                                 size_t len) {
    return send_body(con, status, body, len, "application/json");
}

static enum MHD_Result send_error(struct MHD_Connection *con, int status,
                                  const char *message) {
    size_t len = 0;
    char *body = reply_error(status, message, &len);
    return send_json(con, status, body, len);
}

static reply_meta meta(serve_http *h) {
    return (reply_meta){h->o.model, ++h->requests, (long)time(NULL)};
}

/* Parse c's body for kind into p, its arena's block in c->parse. */
static int parse(conn *c, serve_kind kind, serve_params *p, char *err) {
    size_t bytes = serve_request_plan(c->len);
    c->parse = malloc(bytes);
    if (!c->parse) {
        snprintf(err, ERR_BYTES, "out of memory");
        return 500;
    }
    titan_arena a;
    titan_arena_init(&a, c->parse, bytes);
    return serve_request_parse(&a, kind, c->body ? c->body : "", c->len, p, err,
                               ERR_BYTES);
}

static int socket_of(struct MHD_Connection *con) {
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    return i ? i->connect_fd : -1;
}

/* The client closed the connection (a read would give end of file) or it
 * broke; a request still being answered has nothing more to read. */
static bool client_gone(int fd) {
    char b;
    ssize_t n = fd < 0 ? -1 : recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (fd < 0 || n > 0) return false;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

typedef struct {
    serve_http *h;
    int fd;
} score_watch;

/* serve_score_text's stop test: the server stops or the client went away. */
static bool score_stop(void *user) {
    const score_watch *w = user;
    return atomic_load(&w->h->stopping) || client_gone(w->fd);
}

static enum MHD_Result score(serve_http *h, struct MHD_Connection *con, conn *c) {
    serve_params p;
    char err[ERR_BYTES];
    int rc = parse(c, REQ_SCORE, &p, err);
    if (rc) return send_error(con, rc, err);
    if (!serve_scorer_take(h->pool))
        return send_error(con, 503, "the scorer is busy: try again");
    serve_score s;
    score_watch w = {h, socket_of(con)};
    rc = serve_score_text(h->pool, p.prompt, p.prompt_len, score_stop, &w, &s, err,
                          ERR_BYTES);
    serve_scorer_give(h->pool);
    if (rc == SERVE_SCORE_STOPPED) return MHD_NO; /* nobody to answer: close */
    if (rc) return send_error(con, rc, err);
    size_t len = 0;
    char *body = reply_score(&s, &len);
    return send_json(con, 200, body, len);
}

/* Decode to the end (cut short when the server stops or the client goes). */
static int run_whole(serve_http *h, serve_completion *cp, int fd, char *err) {
    int rc = 0;
    while (!rc && !cp->finish && !atomic_load(&h->stopping) && !client_gone(fd))
        rc = complete_step(cp, err, ERR_BYTES);
    if (!rc) complete_cut(cp);
    return rc;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max);
static void stream_free(void *cls);

static enum MHD_Result start_stream(serve_http *h, struct MHD_Connection *con, conn *c,
                                    stream *s) {
    s->h = h;
    s->m = meta(h);
    s->fd = socket_of(con);
    s->parse = c->parse; /* the params point into it: the stream owns it now */
    c->parse = NULL;
    s->c.p = &s->p;
    struct MHD_Response *r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
    if (!r) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    enum MHD_Result ret = MHD_queue_response(con, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result generate(serve_http *h, struct MHD_Connection *con, conn *c,
                                serve_kind kind) {
    char err[ERR_BYTES];
    stream *s = calloc(1, sizeof *s);
    if (!s) return send_error(con, 500, "out of memory");
    int rc = parse(c, kind, &s->p, err);
    if (rc) {
        free(s);
        return send_error(con, rc, err);
    }
    if (!(s->slot = serve_slot_take(h->pool))) {
        free(s);
        return send_error(con, 503, "every slot is busy (--parallel): try again");
    }
    rc = complete_start(&s->c, s->slot, &h->pool->art, h->pool->o.ctx, &s->p, err,
                        ERR_BYTES);
    if (!rc && s->p.stream) return start_stream(h, con, c, s);
    if (!rc) rc = run_whole(h, &s->c, socket_of(con), err);
    reply_meta m = meta(h);
    size_t len = 0;
    char *body = rc ? NULL : reply_completion(&m, &s->c, &len); /* the slot's text */
    serve_slot_give(h->pool, s->slot);
    free(s);
    return rc ? send_error(con, rc, err) : send_json(con, 200, body, len);
}

/* The next event into s->buf: a chunk of text, the last chunk, [DONE]. */
static bool next_event(stream *s) {
    char err[ERR_BYTES];
    if (s->sent_last) {
        static const char done[] = "data: [DONE]\n\n";
        memcpy(s->buf, done, sizeof done - 1);
        s->len = sizeof done - 1;
        s->done = true;
        return true;
    }
    for (;;) {
        if (!s->c.finish && client_gone(s->fd)) return false; /* frees the slot */
        bool stop = atomic_load(&s->h->stopping);
        if (!s->c.finish && (stop || complete_step(&s->c, err, ERR_BYTES)))
            complete_cut(&s->c); /* shutting down, or a failed step: end here */
        const uint8_t *text;
        size_t n = complete_ready(&s->c, &text);
        bool last = s->c.finish != NULL;
        if (!n && !last) continue;
        s->len = reply_chunk(&s->m, &s->c, text, n, last, s->buf, sizeof s->buf);
        s->sent_last = last;
        return s->len > 0;
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    stream *s = cls;
    if (s->off == s->len) {
        if (s->done) return MHD_CONTENT_READER_END_OF_STREAM;
        s->off = s->len = 0;
        if (!next_event(s)) return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(buf, s->buf + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls) {
    stream *s = cls;
    serve_slot_give(s->h->pool, s->slot);
    free(s->parse);
    free(s);
}

static enum MHD_Result get(serve_http *h, struct MHD_Connection *con, const char *url) {
    size_t len = 0;
    if (!strcmp(url, "/")) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            strlen(serve_page_html), (void *)serve_page_html, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
        enum MHD_Result ret = MHD_queue_response(con, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    reply_meta m = meta(h);
    char *body = !strcmp(url, "/health")
                     ? reply_health(h->pool, serve_slots_idle(h->pool),
                                    serve_scorer_idle(h->pool), &len)
                     : reply_models(&m, h->pool, &len);
    return send_json(con, 200, body, len);
}

typedef enum { R_PAGE, R_HEALTH, R_MODELS, R_COMPLETE, R_CHAT, R_SCORE, R_NONE } route;

static route route_of(const char *url) {
    static const char *const paths[] = {
        "/",        "/health", "/v1/models", "/v1/completions", "/v1/chat/completions",
        "/v1/score"};
    for (int i = 0; i < R_NONE; i++)
        if (!strcmp(url, paths[i])) return (route)i;
    return R_NONE;
}

static enum MHD_Result answer(serve_http *h, struct MHD_Connection *con, const char *url,
                              const char *method, conn *c) {
    route r = route_of(url);
    bool post = !strcmp(method, "POST"), want_post = r >= R_COMPLETE;
    if (r == R_NONE) return send_error(con, 404, "no such endpoint");
    if (post != want_post || (!post && strcmp(method, "GET") && strcmp(method, "HEAD")))
        return send_error(con, 405, want_post ? "use POST" : "use GET");
    if (c->too_big) return send_error(con, 413, "the body is larger than --max-body");
    if (!want_post) return get(h, con, url);
    if (r == R_SCORE) return score(h, con, c);
    return generate(h, con, c, r == R_CHAT ? REQ_CHAT : REQ_COMPLETION);
}

/* Gather upload bytes up to max_body (past it, drop them and remember). */
static void gather(conn *c, const char *data, size_t n, size_t max) {
    if (c->too_big || n > max - c->len) {
        c->too_big = true;
        return;
    }
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n) cap *= 2;
        if (cap > max) cap = max;
        char *b = realloc(c->body, cap);
        if (!b) {
            c->too_big = true;
            return;
        }
        c->body = b, c->cap = cap;
    }
    memcpy(c->body + c->len, data, n);
    c->len += n;
}

/* Content-Length above the limit: refused before reading the body. */
static bool declared_too_big(struct MHD_Connection *con, size_t max) {
    const char *cl =
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end;
    unsigned long long n = cl ? strtoull(cl, &end, 10) : 0;
    return cl && n > max;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls) {
    (void)version;
    serve_http *h = cls;
    conn *c = *con_cls;
    if (!c) {
        if (!(c = calloc(1, sizeof *c))) return MHD_NO;
        *con_cls = c;
        if (declared_too_big(con, h->o.max_body)) {
            c->too_big = true;
            return send_error(con, 413, "the body is larger than --max-body");
        }
        return MHD_YES;
    }
    if (*upload_size) {
        gather(c, upload, *upload_size, h->o.max_body);
        *upload_size = 0;
        return MHD_YES;
    }
    return answer(h, con, url, method, c);
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
                      enum MHD_RequestTerminationCode why) {
    (void)cls, (void)con, (void)why;
    conn *c = *con_cls;
    if (!c) return;
    free(c->body);
    free(c->parse);
    free(c);
    *con_cls = NULL;
}

static bool resolve(const char *host, struct sockaddr_storage *addr, socklen_t *len) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, NULL, &hints, &ai)) return false;
    memcpy(addr, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return true;
}

serve_http *serve_http_start(serve_pool *pool, const serve_http_opts *o, int *port) {
    struct sockaddr_storage addr;
    socklen_t alen;
    if (!resolve(o->host, &addr, &alen)) {
        fprintf(stderr, "titan serve: cannot resolve host '%s'\n", o->host);
        return NULL;
    }
    if (addr.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)o->port);
    else
        ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)o->port);
    serve_http *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->pool = pool;
    h->o = *o;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, handle, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->connections,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_END);
    if (!h->d) {
        fprintf(stderr, "titan serve: cannot listen on %s port %d\n", o->host, o->port);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = i ? i->port : o->port;
    return h;
}

void serve_http_stop(serve_http *h) {
    atomic_store(&h->stopping, true);
    MHD_stop_daemon(h->d);
    free(h);
}
