/* checkpoint.h: titan-train checkpoints, read and written here only (the
 * trainer saves, resumes and exports them; `titan pack --ckpt` packs them).
 * A checkpoint is a safetensors file of F32 tensors, so any safetensors
 * reader opens it:
 *   NAME          raw weights under their SPEC names
 *   ema/NAME      EMA weights (when kept), swa/NAME SWA weights (when kept)
 *   opt.m/NAME    Muon momentum (block matrices) or Adam first moment
 *   opt.v/NAME    Adam second moment (every tensor but the block matrices)
 * Each set present holds all its tensors with the config's shapes, and
 * nothing else is in the file. Metadata (strings): format
 * "titan-checkpoint-1", config (JSON, as titan_config_to_json), tokenizer
 * (lowercase hex of the TOK blob; empty when trained on shards), export
 * ("raw", "ema" or "swa": a set the file holds, the weights a packer takes
 * by default), step, rng, data_pos, swa_count, qat_on (decimal digits only;
 * swa_count <= step <= INT64_MAX, qat_on 0 or 1); optionally run (the
 * trainer's own record of the run's flags, JSON, read back on --resume). */
#ifndef TITAN_FORMATS_CHECKPOINT_H
#define TITAN_FORMATS_CHECKPOINT_H

#include "titan.h"

#include <stdbool.h>

typedef enum {
    TITAN_CKPT_RAW, /* the weights sets first: export names one of them */
    TITAN_CKPT_EMA,
    TITAN_CKPT_SWA,
    TITAN_CKPT_OPT_M,
    TITAN_CKPT_OPT_V,
    TITAN_CKPT_SETS
} titan_ckpt_set;

typedef struct {
    titan_config config;
    const uint8_t *tok; /* the TOK blob; tok_len 0 when trained on shards */
    size_t tok_len;
    titan_ckpt_set export_set; /* RAW, EMA or SWA */
    int64_t step, swa_count;
    uint64_t rng, data_pos;
    int qat_on;
    const char *run; /* the trainer's run record (JSON), NULL when absent */
} titan_ckpt_meta;

typedef struct {
    titan_ckpt_meta meta;
    titan_safetensors st;
    int n_tensors;                  /* the config's */
    bool has[TITAN_CKPT_SETS];      /* sets the file holds */
    const titan_st_tensor **tensor; /* [TITAN_CKPT_SETS][n_tensors] or NULL */
} titan_ckpt;

/* Name prefix of a set's tensors ("", "ema/", ...). */
const char *titan_ckpt_prefix(titan_ckpt_set k);

/* Whether set k has a tensor for spec (opt.v has no block matrices). */
bool titan_ckpt_set_holds(titan_ckpt_set k, const titan_tensor_spec *spec);

/* "raw", "ema" or "swa" as a set; TITAN_E_USAGE for anything else. */
TITAN_NODISCARD titan_status titan_ckpt_weights_from_name(const char *name,
                                                          titan_ckpt_set *k);

/* The weights a reader takes: `which` ("raw", "ema", "swa") or, when NULL,
 * the file's export choice. TITAN_E_DATA when the file lacks that set, with
 * a message naming the sets it holds (what = the file's name). */
TITAN_NODISCARD titan_status titan_ckpt_pick_weights(const titan_ckpt *c,
                                                     const char *what, const char *which,
                                                     titan_ckpt_set *k);

/* Validate a whole checkpoint in file[0..len) (which must outlive *out) as
 * the layout above: TITAN_E_DATA with a message naming what is wrong. The
 * tables and the tokenizer come from the arena. */
TITAN_NODISCARD titan_status titan_ckpt_parse(titan_arena *a, const uint8_t *file,
                                              size_t len, titan_ckpt *out);

/* Arena bytes titan_ckpt_load needs for the file at path: the file and what
 * parsing a checkpoint carves (a header dense beyond any checkpoint's runs
 * out of arena: TITAN_E_NOMEM). */
TITAN_NODISCARD titan_status titan_ckpt_load_plan(const char *path, size_t *bytes);

/* Read the file at path into the arena and titan_ckpt_parse it (messages
 * start with the path). */
TITAN_NODISCARD titan_status titan_ckpt_load(titan_arena *a, const char *path,
                                             titan_ckpt *out);

/* Tensor i (titan_config_tensors order) of set k; NULL when absent. */
const titan_st_tensor *titan_ckpt_tensor(const titan_ckpt *c, titan_ckpt_set k, int i);

/* Scratch bytes titan_ckpt_write carves (and gives back) for a tokenizer of
 * tok_len bytes. */
size_t titan_ckpt_write_scratch(size_t tok_len);

/* Serialize a checkpoint into buf[0..cap) (buf NULL: only measure); *len
 * gets the file size. sets[k] is NULL for a set not kept, else the set's
 * float32 tensors in titan_config_tensors order (opt.v's block matrices are
 * not read). TITAN_E_USAGE for metadata outside the rules above, a missing
 * raw, opt.m, opt.v or export set, or cap too small. */
TITAN_NODISCARD titan_status titan_ckpt_write(titan_arena *scratch,
                                              const titan_ckpt_meta *m,
                                              float *const *const sets[TITAN_CKPT_SETS],
                                              uint8_t *buf, size_t cap, size_t *len);

#endif
