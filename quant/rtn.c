/* rtn.c: round-to-nearest quantization with one absmax scale per row (or per
 * group of group_size values), to INT8 or bit-packed INT6. */
#include "core/status.h"
#include "quant/quant.h"

#include <math.h>
#include <string.h>

titan_status titan_quant_rtn(const float *src, int64_t rows, int64_t cols,
                             titan_dtype dt, int32_t group_size, void *data,
                             float *scales) {
    if (!src || !data || !scales || rows < 1 || cols < 1 || group_size < 0 ||
        (dt != TITAN_DT_INT8 && dt != TITAN_DT_INT6))
        return titan_fail(TITAN_E_USAGE, "rtn: bad arguments");
    int qmax = dt == TITAN_DT_INT8 ? 127 : 31;
    int64_t gs = group_size ? group_size : cols;
    int64_t groups = (cols + gs - 1) / gs;
    size_t row_bytes = titan_dtype_row_bytes(dt, cols);
    for (int64_t r = 0; r < rows; r++) {
        const float *x = src + r * cols;
        uint8_t *out = (uint8_t *)data + r * row_bytes;
        if (dt == TITAN_DT_INT6) memset(out, 0, row_bytes);
        for (int64_t g = 0; g < groups; g++) {
            int64_t c0 = g * gs, c1 = c0 + gs < cols ? c0 + gs : cols;
            float amax = 0;
            for (int64_t c = c0; c < c1; c++) {
                if (!isfinite(x[c]))
                    return titan_fail(TITAN_E_DATA,
                                      "rtn: non-finite value at [%lld, %lld]",
                                      (long long)r, (long long)c);
                amax = fmaxf(amax, fabsf(x[c]));
            }
            /* An all-zero group keeps scale 1 so scales stay positive. */
            float scale = amax > 0 ? amax / qmax : 1.0f;
            scales[r * groups + g] = scale;
            for (int64_t c = c0; c < c1; c++) {
                long q = lrintf(x[c] / scale);
                q = q > qmax ? qmax : q < -qmax ? -qmax : q;
                if (dt == TITAN_DT_INT8)
                    out[c] = (uint8_t)(int8_t)q;
                else
                    titan_int6_set(out, c, (int)q);
            }
        }
    }
    return TITAN_OK;
}
