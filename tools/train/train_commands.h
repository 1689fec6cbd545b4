/* train_commands.h: the titan-train subcommands, one file each
 * (tools/train/cmd_NAME.c). argv[0] = "titan-train NAME"; returns exit code. */
#ifndef TITAN_TOOLS_TRAIN_COMMANDS_H
#define TITAN_TOOLS_TRAIN_COMMANDS_H

#define TRAIN_COMMAND_LIST(X)                                                            \
    X(tokenizer, "train a byte-level BPE tokenizer on a text file")                      \
    X(train, "train a model (Muon + AdamW, QAT, EMA/SWA)")                               \
    X(eval, "val_bpb of a checkpoint, windows shared over MPI ranks")                    \
    X(grad, "loss and gradients of one sequence, as safetensors")                        \
    X(plot, "draw loss and val_bpb curves of a training log as SVG")                     \
    X(export, "a checkpoint's raw/EMA/SWA weights, config and tokenizer")                \
    X(shards, "token ids, one document per line, as parameter-golf .bin shards")         \
    X(ngram, "n-gram hint table of titan eval --tilt from training data")

#define TRAIN_COMMAND_DECL(name, summary) int train_cmd_##name(int argc, char **argv);
TRAIN_COMMAND_LIST(TRAIN_COMMAND_DECL)
#undef TRAIN_COMMAND_DECL

#endif
