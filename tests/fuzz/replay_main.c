/* replay_main.c - run fuzz harnesses without libFuzzer (any C compiler).
 *
 * Each harness is compiled with -DLLVMFuzzerTestOneInput=fuzz_<target>; this
 * driver is compiled with -DFUZZ_TARGETS='X(codec) X(dq) ...' listing them:
 *     replay TARGET FILE...     runs fuzz_<TARGET> once on each file
 * A broken invariant aborts (exit status from SIGABRT); sanitizers, when the
 * compiler has them, report the rest.  tests/fuzz/test_fuzz_regressions.py
 * builds and runs it so that CI without clang still replays every regression
 * input and committed seed through the C harnesses. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X(t) int fuzz_##t(const uint8_t *data, size_t size);
FUZZ_TARGETS
#undef X

typedef int (*fuzz_fn)(const uint8_t *, size_t);

static fuzz_fn lookup(const char *name) {
#define X(t)                                  \
    if (strcmp(name, #t) == 0) return fuzz_##t;
    FUZZ_TARGETS
#undef X
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s TARGET FILE...\n", argv[0]);
        return 2;
    }
    const fuzz_fn fn = lookup(argv[1]);
    if (!fn) {
        fprintf(stderr, "%s: no target %s\n", argv[0], argv[1]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        size_t cap = 1 << 16, n = 0, got;
        uint8_t *buf = malloc(cap);
        while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap) buf = realloc(buf, cap *= 2);
        }
        fclose(f);
        if (!buf) return 2;
        /* an exact-size copy, as libFuzzer hands over, so overreads show */
        uint8_t *exact = malloc(n ? n : 1);
        if (!exact) return 2;
        memcpy(exact, buf, n);
        free(buf);
        fn(exact, n);
        free(exact);
        printf("ok %s %s (%zu bytes)\n", argv[1], argv[i], n);
    }
    return 0;
}
