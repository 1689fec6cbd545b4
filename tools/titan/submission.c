/* submission.c: the code part of a submission's size (see submission.h). */
#include "tools/titan/submission.h"

#include "formats/codec.h"
#include "platform/file.h"
#include "tools/cli/cli.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* strip --strip-all -o out in: 0, or an errno-style failure. */
static titan_status strip_binary(const char *in, const char *out) {
    char *argv[] = {"strip", "--strip-all", "-o", (char *)out, (char *)in, NULL};
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", 1, 0);
    int err = posix_spawnp(&pid, "strip", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err)
        return titan_fail(TITAN_E_IO,
                          "cannot run strip (binutils) to measure the code: %s",
                          strerror(err));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return titan_fail(TITAN_E_IO, "strip: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        return titan_fail(TITAN_E_IO, "strip of %s failed", in);
    return TITAN_OK;
}

static titan_status compress_file(const char *path, titan_codec codec,
                                  submission_code *out) {
    size_t size;
    TITAN_TRY(titan_file_size(path, &size));
    size_t bound = titan_codec_bound(codec, size);
    titan_arena a;
    TITAN_TRY(cli_arena_create(&a, size + bound + 2 * TITAN_ALIGN));
    uint8_t *data, *enc;
    size_t len = 0;
    titan_status st = titan_file_read(&a, path, size, &data, &size);
    if (st == TITAN_OK) st = titan_arena_alloc(&a, bound, TITAN_ALIGN, (void **)&enc);
    if (st == TITAN_OK) st = titan_codec_encode(codec, data, size, enc, bound, &len);
    cli_arena_destroy(&a);
    out->binary_bytes = size;
    out->code_bytes = len;
    return st;
}

/* Codec auto: the smallest of the codecs, as the artifact's sections pick. */
static titan_status compress_smallest(const char *path, titan_codec codec,
                                      submission_code *out) {
    if (codec != TITAN_CODEC_AUTO) return compress_file(path, codec, out);
    for (int c = TITAN_CODEC_NONE; c <= TITAN_CODEC_BROTLI; c++) {
        submission_code one;
        TITAN_TRY(compress_file(path, (titan_codec)c, &one));
        if (c == TITAN_CODEC_NONE || one.code_bytes < out->code_bytes) *out = one;
    }
    return TITAN_OK;
}

titan_status submission_code_size(titan_codec codec, submission_code *out) {
    char self[4096], tmp[4096];
    const char *dir = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/titan-code-XXXXXX", dir && *dir ? dir : "/tmp");
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return titan_fail(TITAN_E_IO, "cannot find the titan binary: %s",
                          strerror(errno));
    self[n] = 0;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return titan_fail(TITAN_E_IO, "cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    titan_status st = strip_binary(self, tmp);
    if (st == TITAN_OK) st = compress_smallest(tmp, codec, out);
    unlink(tmp);
    return st;
}

void submission_print(uint64_t artifact_bytes, titan_codec codec,
                      const submission_code *code, int64_t budget) {
    uint64_t total = artifact_bytes + code->code_bytes;
    printf("code       %llu bytes (the stripped titan binary, %llu bytes, codec %s)\n",
           (unsigned long long)code->code_bytes, (unsigned long long)code->binary_bytes,
           titan_codec_name(codec));
    printf("total submission size %llu bytes (artifact %llu + code %llu)",
           (unsigned long long)total, (unsigned long long)artifact_bytes,
           (unsigned long long)code->code_bytes);
    if (budget >= 0)
        printf(": %s the %lld-byte budget by %llu",
               total <= (uint64_t)budget ? "under" : "OVER", (long long)budget,
               (unsigned long long)(total <= (uint64_t)budget
                                        ? (uint64_t)budget - total
                                        : total - (uint64_t)budget));
    printf("\n");
}
