#include <math.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
int shim_reflect(const char* s) { return 900; }  /* __CUDA_ARCH of an sm_90 build */
double shim_fabs(double x) { return fabs(x); }
double shim_fma(double a, double b, double c) { return fma(a, b, c); }
double shim_mul_rn(double a, double b) { return a * b; }
int shim_d2i_rn(double x) { return (int) nearbyint(x); }
double shim_lohi_i2d(int lo, int hi) { uint64_t u = ((uint64_t) (uint32_t) hi << 32) | (uint32_t) lo; double d; memcpy(&d, &u, 8); return d; }
int shim_d2i_lo(double x) { uint64_t u; memcpy(&u, &x, 8); return (int) (uint32_t) u; }
int shim_d2i_hi(double x) { uint64_t u; memcpy(&u, &x, 8); return (int) (uint32_t) (u >> 32); }
/* A model of rcp.approx.ftz.f64 (MUFU.RCP64H): 1/x kept to its high word, about 20 mantissa bits. */
double shim_rcp_approx(double x) { double r = 1.0 / x; uint64_t u; memcpy(&u, &r, 8); u &= 0xffffffff00000000ULL; memcpy(&r, &u, 8); return r; }
void shim_trig_slowpath(void) { abort(); }  /* only for |x| beyond the fast reduction, never for angles in [0, 2π) */
