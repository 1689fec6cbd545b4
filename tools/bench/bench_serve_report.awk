# bench_serve_report.awk: the report of tools/bench/bench_serve.sh from its
# rows "repeat kind requests tokens seconds" (kind: decode, one, many). Prints
# each run, the medians over repeats and the ratios; with -v json=1 one JSON
# object instead.
function median(a, n,    i, j, t) {
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    kind = $2; i = ++count[kind]
    req[kind, i] = $3 / $5; tok[kind, i] = $4 / $5
    line[NR] = sprintf("repeat %d %-6s %4d requests %7d tokens %7.2f s: %8.2f requests/s %8.0f tokens/s", $1, kind, $3, $4, $5, $3 / $5, $4 / $5)
    # ratios within one repeat: the same minute of the host's load
    if (kind == "one") one_dec[i] = tok["one", i] / tok["decode", i]
    if (kind == "many") many_one[i] = tok["many", i] / tok["one", i]
}
END {
    r = count["many"]
    if (r < 1 || count["one"] != r || count["decode"] != r) { print "bench_serve: incomplete runs" > "/dev/stderr"; exit 1 }
    split("decode one many", kinds, " ")
    for (j = 1; j <= 3; j++) {
        for (i = 1; i <= r; i++) { a[i] = req[kinds[j], i]; b[i] = tok[kinds[j], i] }
        mreq[kinds[j]] = median(a, r); mtok[kinds[j]] = median(b, r)
    }
    od = median(one_dec, r); mo = median(many_one, r)
    if (json) {
        gsub(/[\\"]/, "\\\\&", m) # a JSON string: \ and " escaped
        printf "{\"model\":\"%s\",\"parallel\":%d,\"clients\":%d,\"threads\":%d,\"tokens\":%d,\"repeats\":%d", m, p, k, th, n, r
        for (j = 1; j <= 3; j++)
            printf ",\"%s\":{\"requests_per_s\":%.3f,\"tokens_per_s\":%.1f}", kinds[j], mreq[kinds[j]], mtok[kinds[j]]
        printf ",\"one_over_decode\":%.4f,\"many_over_one\":%.4f}\n", od, mo
        exit 0
    }
    printf "bench_serve %s: --parallel %d, %d clients, --threads %d per slot, %d-token greedy completions, %d repeats\n", m, p, k, th, n, r
    for (i = 1; i <= NR; i++) print line[i]
    printf "median decode (titan run, no server): %.0f tokens/s\n", mtok["decode"]
    printf "median 1 client:  %.2f requests/s, %.0f tokens/s (%.2fx plain decode)\n", mreq["one"], mtok["one"], od
    printf "median %d clients: %.2f requests/s, %.0f tokens/s (%.2fx one client)\n", k, mreq["many"], mtok["many"], mo
}
