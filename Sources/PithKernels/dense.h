// Dense row dot products (internal).
#pragma once
#include <stdint.h>
float pith_dot_f32(const float *w, const float *x, int64_t n);
float pith_dot_f16(const uint16_t *w, const float *x, int64_t n);
float pith_dot_bf16(const uint16_t *w, const float *x, int64_t n);
