/* file.c: whole-file reads into the arena and atomic writes. */
#include "platform/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

titan_status titan_file_size(const char *path, size_t *size) {
    struct stat st;
    if (!path || !size) return titan_fail(TITAN_E_USAGE, "file: NULL argument");
    if (stat(path, &st) != 0)
        return titan_fail(TITAN_E_IO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return titan_fail(TITAN_E_IO, "%s: not a regular file", path);
    *size = (size_t)st.st_size;
    return TITAN_OK;
}

static titan_status read_all(int fd, const char *path, uint8_t *dst, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t got = read(fd, dst + done, len - done);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return titan_fail(TITAN_E_IO, "%s: %s", path, strerror(errno));
        if (got == 0)
            return titan_fail(TITAN_E_IO, "%s: file shrank while reading", path);
        done += (size_t)got;
    }
    return TITAN_OK;
}

titan_status titan_file_read(titan_arena *a, const char *path, size_t max_bytes,
                             uint8_t **data, size_t *size) {
    TITAN_TRY(titan_file_size(path, size));
    if (*size > max_bytes)
        return titan_fail(TITAN_E_DATA, "%s: %zu bytes, more than the %zu allowed", path,
                          *size, max_bytes);
    void *buf;
    TITAN_TRY(titan_arena_alloc(a, *size, TITAN_ALIGN, &buf));
    *data = buf;
    if (!buf) return TITAN_OK; /* measuring */
    int fd = open(path, O_RDONLY);
    if (fd < 0) return titan_fail(TITAN_E_IO, "%s: %s", path, strerror(errno));
    titan_status st = read_all(fd, path, buf, *size);
    close(fd);
    return st;
}

titan_status titan_file_read_at(const char *path, uint64_t offset, void *dst,
                                size_t len) {
    if (!path || (!dst && len)) return titan_fail(TITAN_E_USAGE, "file: NULL argument");
    if (offset > (uint64_t)INT64_MAX)
        return titan_fail(TITAN_E_IO, "%s: offset out of range", path);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return titan_fail(TITAN_E_IO, "%s: %s", path, strerror(errno));
    titan_status st = TITAN_OK;
    if (lseek(fd, (off_t)offset, SEEK_SET) < 0)
        st = titan_fail(TITAN_E_IO, "%s: seek: %s", path, strerror(errno));
    else
        st = read_all(fd, path, dst, len);
    close(fd);
    return st;
}

/* Failures name the user's path (never the temporary file's) and the reason. */
static titan_status write_all(int fd, const char *path, const uint8_t *src, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t put = write(fd, src + done, len - done);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0)
            return titan_fail(TITAN_E_IO, "cannot write %s: %s", path, strerror(errno));
        done += (size_t)put;
    }
    return TITAN_OK;
}

/* Devices and pipes (/dev/null, /dev/stdout) are written in place: renaming a
 * temporary file over them would replace the device node. */
static titan_status write_in_place(const char *path, const void *data, size_t len) {
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return titan_fail(TITAN_E_IO, "cannot write %s: %s", path, strerror(errno));
    titan_status st = write_all(fd, path, data, len);
    if (close(fd) != 0 && st == TITAN_OK)
        st = titan_fail(TITAN_E_IO, "cannot write %s: %s", path, strerror(errno));
    return st;
}

titan_status titan_file_write_atomic(const char *path, const void *data, size_t len) {
    char tmp[4096];
    struct stat st_target;
    if (!path || (!data && len)) return titan_fail(TITAN_E_USAGE, "file: NULL argument");
    if (stat(path, &st_target) == 0 && !S_ISREG(st_target.st_mode)) {
        if (S_ISDIR(st_target.st_mode))
            return titan_fail(TITAN_E_IO, "cannot write %s: it is a directory", path);
        return write_in_place(path, data, len);
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
        sizeof tmp)
        return titan_fail(TITAN_E_USAGE, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return titan_fail(TITAN_E_IO, "cannot write %s: %s", path, strerror(errno));
    titan_status st = write_all(fd, path, data, len);
    if (st == TITAN_OK && fsync(fd) != 0)
        st = titan_fail(TITAN_E_IO, "cannot write %s: %s", path, strerror(errno));
    if (close(fd) != 0 && st == TITAN_OK)
        st = titan_fail(TITAN_E_IO, "cannot write %s: %s", path, strerror(errno));
    if (st == TITAN_OK && rename(tmp, path) != 0)
        st = titan_fail(TITAN_E_IO, "cannot write %s: %s", path, strerror(errno));
    if (st != TITAN_OK) unlink(tmp);
    return st;
}
