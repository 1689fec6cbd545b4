/* generate.c: the library from a user's program, in a few calls (titan.h,
 * "high level"): plan, open, generate, close. Built by `make` as
 * build/examples/generate; against an installed library:
 *
 *     cc generate.c $(pkg-config --cflags --libs titan) -o generate
 *
 * usage: generate MODEL.tart PROMPT [TOKENS [SEED]]
 * Prints the prompt and its continuation (greedy with SEED 0, else sampled
 * at temperature 0.8, top-k 40, top-p 0.95). The library allocates nothing:
 * the program gives it one block of the size it asks for. */
#include <titan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_text(void *user, const uint8_t *bytes, size_t len) {
    (void)user;
    fwrite(bytes, 1, len, stdout);
    return ferror(stdout) != 0; /* stop when stdout fails */
}

static int fail(const char *what, titan_status st) {
    fprintf(stderr, "generate: %s: %s\n", what, titan_last_error());
    return st == TITAN_E_USAGE ? 2 : 1;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: generate MODEL.tart PROMPT [TOKENS [SEED]]\n");
        return 2;
    }
    const char *model = argv[1], *prompt = argv[2];
    int tokens = argc > 3 ? atoi(argv[3]) : 64;
    unsigned long long seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;

    /* 1. How big a block the model needs (planning decodes the small
     *    sections for real, in a scratch block: untouched pages cost nothing). */
    void *scratch_mem = malloc(TITAN_PLAN_SCRATCH);
    if (!scratch_mem) return 1;
    titan_arena scratch;
    titan_arena_init(&scratch, scratch_mem, TITAN_PLAN_SCRATCH);
    size_t bytes;
    titan_status st = titan_session_plan(&scratch, model, NULL, &bytes);
    free(scratch_mem);
    if (st != TITAN_OK) return fail(model, st);

    /* 2. Open: the artifact is verified and loaded into the block. */
    void *block = malloc(bytes);
    titan_session *s;
    if (!block) return 1;
    if ((st = titan_session_open(block, bytes, model, NULL, &s)) != TITAN_OK) {
        free(block);
        return fail(model, st);
    }

    /* 3. Generate: BOS + the prompt's tokens, then up to `tokens` more. */
    titan_sampler smp;
    titan_sampler_init(&smp, seed ? 0.8 : 0, 40, 0.95, seed ? seed : 1);
    fputs(prompt, stdout);
    int n = 0;
    st = titan_session_generate(s, (const uint8_t *)prompt, strlen(prompt), tokens, &smp,
                                print_text, NULL, &n);
    printf("\n");

    /* 4. Close (stops the backend's threads), then free the block. */
    titan_session_close(s);
    free(block);
    if (st != TITAN_OK) return fail("generate", st);
    fprintf(stderr, "generate: %d tokens, %zu bytes of memory\n", n, bytes);
    return fflush(stdout) || ferror(stdout) ? 1 : 0;
}
