/* commands.h: the titan subcommands, one file each (tools/titan/cmd_NAME.c).
 * Each takes argv with argv[0] = "titan NAME" and returns the exit code. */
#ifndef TITAN_TOOLS_COMMANDS_H
#define TITAN_TOOLS_COMMANDS_H

#define TITAN_COMMAND_LIST(X)                                                            \
    X(run, "generate text from a prompt")                                                \
    X(eval, "val_bpb of a text file or parameter-golf shards")                           \
    X(serve, "an HTTP server: OpenAI completions, val_bpb scoring and a web page")       \
    X(logits, "write the logits of one head for a list of ids")                          \
    X(tokenize, "print the token ids of a text")                                         \
    X(detokenize, "print the text of a list of ids")                                     \
    X(inspect, "verify an artifact and print its config and tensors")                    \
    X(plan, "exact arena bytes for a model, context and batch")                          \
    X(init, "write an artifact with random weights (a preset or a config)")              \
    X(export, "an artifact as float32 safetensors, config JSON and tokenizer")           \
    X(pack, "build an artifact from weights, config and tokenizer")                      \
    X(budget, "predicted artifact bytes per tensor group; the largest model that fits")  \
    X(tpu, "a GEMM or a model forward pass on the systolic-array emulator")

#define TITAN_COMMAND_DECL(name, summary) int cmd_##name(int argc, char **argv);
TITAN_COMMAND_LIST(TITAN_COMMAND_DECL)
#undef TITAN_COMMAND_DECL

#endif
