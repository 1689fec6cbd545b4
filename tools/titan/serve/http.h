/* http.h: titan serve's HTTP side on libmicrohttpd (a thread per
 * connection): routing, request bodies up to a limit, JSON replies, and
 * server-sent events for streamed completions. */
#ifndef TITAN_SERVE_HTTP_H
#define TITAN_SERVE_HTTP_H

#include "tools/titan/serve/slots.h"

typedef struct serve_http serve_http;

typedef struct {
    const char *host;  /* address to bind (default 127.0.0.1) */
    int port;          /* 0: any free port */
    size_t max_body;   /* bigger bodies get 413 */
    int connections;   /* at once; more are refused */
    int timeout_s;     /* an idle connection is closed after this */
    const char *model; /* the name /v1/models gives */
} serve_http_opts;

/* Start serving pool (which outlives the server); *port gets the bound port.
 * NULL with a message on stderr when the address cannot be bound. */
serve_http *serve_http_start(serve_pool *pool, const serve_http_opts *o, int *port);

/* Finish the requests in flight (generation cut short), stop, free. */
void serve_http_stop(serve_http *h);

/* The page at / (page.c). */
extern const char serve_page_html[];

#endif
