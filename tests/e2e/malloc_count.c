/* malloc_count.c: an LD_PRELOAD shim (built by malloc_free.sh at test time)
 * counting every heap call of a process: malloc, calloc, realloc, free,
 * aligned_alloc, posix_memalign, memalign. The total is written to the file
 * named by $MALLOC_COUNT_OUT at exit, and the largest request in bytes (the
 * process arena, for titan) to $MALLOC_COUNT_MAX when that is set. Uses glibc's __libc_* entry points, so
 * it needs no dlsym (which itself allocates); -DSANITIZER_HOOKS builds the
 * variant for a sanitizer build. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long calls, largest;

static void count(void) { __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED); }

static void sized(size_t n) {
    count();
    unsigned long was = __atomic_load_n(&largest, __ATOMIC_RELAXED);
    while (n > was && !__atomic_compare_exchange_n(&largest, &was, n, 0, __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED)) {}
}

#ifdef SANITIZER_HOOKS
/* AddressSanitizer's allocator serves every call and must come first in
 * LD_PRELOAD: count through its hooks instead of replacing malloc. */
int __sanitizer_install_malloc_and_free_hooks(void (*on_malloc)(const volatile void *,
                                                                size_t),
                                              void (*on_free)(const volatile void *));
static void on_malloc(const volatile void *p, size_t n) {
    (void)p;
    sized(n);
}
static void on_free(const volatile void *p) {
    (void)p;
    count();
}
__attribute__((constructor)) static void install(void) {
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) {
    sized(n);
    return __libc_malloc(n);
}
void *calloc(size_t k, size_t n) {
    sized(k * n);
    return __libc_calloc(k, n);
}
void *realloc(void *p, size_t n) {
    sized(n);
    return __libc_realloc(p, n);
}
void free(void *p) {
    count();
    __libc_free(p);
}
void *memalign(size_t a, size_t n) {
    sized(n);
    return __libc_memalign(a, n);
}
void *aligned_alloc(size_t a, size_t n) {
    sized(n);
    return __libc_memalign(a, n);
}
int posix_memalign(void **p, size_t a, size_t n) {
    sized(n);
    *p = __libc_memalign(a, n);
    return *p ? 0 : 12; /* ENOMEM */
}
#endif

static void put(const char *env, unsigned long v) {
    const char *path = getenv(env);
    if (!path) return;
    char line[32];
    int len = snprintf(line, sizeof line, "%lu\n", v);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    if (write(fd, line, (size_t)len) != len) { /* nothing more to do */
    }
    close(fd);
}

__attribute__((destructor)) static void report(void) {
    put("MALLOC_COUNT_OUT", calls);
    put("MALLOC_COUNT_MAX", largest);
}
