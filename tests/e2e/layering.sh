#!/usr/bin/env bash
# layering.sh: dependencies between folders run one way (README, "Layout").
# Layers, lowest first; a file may use its own layer and the ones below it:
#   include < core/base < quant < platform < core < formats < tools/cli
#   < tools/train < tools/titan (`titan eval --ttt` trains with the trainer's
#   model; the trainer never uses tools/titan) < tools/bench;
#   tools/examples use the public header only (<titan.h>), as a user would
# Checked twice: every #include "..." of the sources, and every symbol an
# object file of the library takes from another (titan.h declares the whole
# library, so only the objects show which folder really calls which).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

# layer PATH: sets RANK and NAME of the folder that holds PATH (longest prefix).
layer() {
    case $1 in
    include/*) RANK=0 NAME=include ;;
    core/base/*) RANK=1 NAME=core/base ;;
    quant/*) RANK=2 NAME=quant ;;
    platform/*) RANK=3 NAME=platform ;;
    core/*) RANK=4 NAME=core ;;
    formats/*) RANK=5 NAME=formats ;;
    tools/cli/*) RANK=6 NAME=tools/cli ;;
    tools/train/*) RANK=7 NAME=tools/train ;;
    tools/titan/*) RANK=8 NAME=tools/titan ;;
    tools/bench/*) RANK=9 NAME=tools/bench ;;
    tools/examples/*) RANK=0 NAME=tools/examples ;;
    *) RANK=-1 NAME=? ;;
    esac
}

# allowed FROM TO: FROM may depend on TO (its own folder, or a lower layer).
allowed() {
    layer "$1"; local ra=$RANK na=$NAME
    layer "$2"
    [ "$ra" -ge 0 ] && [ "$RANK" -ge 0 ] && { [ "$na" = "$NAME" ] || [ "$RANK" -lt "$ra" ]; }
}

bad=0 files=0
complain() { echo "layering: $*"; bad=$((bad + 1)); }

# 1. Includes. A quoted include names a path from the top (-I.) or, for
# "titan.h", include/.
while IFS= read -r src; do
    files=$((files + 1))
    while IFS= read -r inc; do
        [ "$inc" = titan.h ] && inc=include/titan.h
        [ -f "$inc" ] || { complain "$src includes \"$inc\", not a file from the top"; continue; }
        allowed "$src" "$inc" || complain "$src includes $inc (against the layer order)"
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$src")
done < <(find core quant platform formats tools include -name '*.[ch]' | sort)
[ "$files" -gt 0 ] || { echo "layering: no sources found"; exit 1; }

# 2. Symbols between the library's object files (objects whose source is
# gone, left by a moved file, are passed over).
objdir=$BUILD/obj
[ -d "$objdir/core" ] || { echo "layering: no objects in $objdir (run make first)"; exit 1; }
syms=$(mktemp)
trap 'rm -f "$syms"' EXIT
while IFS= read -r o; do
    src=${o#"$objdir"/}
    src=${src%.o}.c
    [ -f "$src" ] || continue
    nm "$o" | awk -v s="$src" '$1 == "U" { print "U", $2, s } NF == 3 && $2 ~ /[A-Z]/ { print "D", $3, s }'
done < <(find "$objdir/core" "$objdir/quant" "$objdir/platform" "$objdir/formats" -name '*.o' | sort) >"$syms"
grep -q '^D' "$syms" || { echo "layering: no library symbols found"; exit 1; }
# "user definer symbol" for each symbol one library file takes from another.
while read -r user def sym; do
    allowed "$user" "$def" || complain "$user calls $sym of $def (against the layer order)"
done < <(awk '$1 == "D" { def[$2] = $3 } $1 == "U" { use[++n] = $2 " " $3 }
              END { for (i = 1; i <= n; i++) { split(use[i], f, " ")
                      if ((f[1] in def) && def[f[1]] != f[2]) print f[2], def[f[1]], f[1] } }' "$syms" | sort -u)

[ "$bad" = 0 ] || { echo "layering: $bad dependencies against the layer order"; exit 1; }
echo "layering: includes and library symbols follow the layer order"
