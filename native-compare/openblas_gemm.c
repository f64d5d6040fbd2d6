/*
 * openblas_gemm: times row-major cblas_sgemm (OpenBLAS) on the gemm problems of
 * native-compare/problems.tsv (conventions in PROBLEMS.md) and prints
 * `harness,problem,threads,ms_median,gflops` CSV.
 *
 * Usage: openblas_gemm --problem ID [ID...] --threads N [--iters K] [--warmup W] [--gemv] [--csv]
 *                      [--table PATH]
 *
 * Each problem: C[M,N] = alpha * op(A) * B + beta * C, alpha = 1, beta = 0, fp32,
 * inputs uniform in [-1, 1] (fixed seed). op(A) = A^T (A stored K x M) where the table's
 * a_transposed says yes (dweight-512).
 * W warm-up calls, then K timed calls (CLOCK_MONOTONIC); the median is reported and
 * GFLOP/s = 2*M*N*K / median seconds. A few entries of C are checked against a
 * double-precision dot product so that a mis-set transpose or stride cannot go unnoticed.
 * --gemv times cblas_sgemv instead (M = 1 problems only, harness `openblas-sgemv`): OpenBLAS
 * 0.3.21's sgemm does not forward M = 1 to GEMV, so sgemm alone understates it there.
 * Diagnostics (OpenBLAS core and config) go to stderr; stdout carries only the CSV.
 */
#define _POSIX_C_SOURCE 200809L

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "problem_table.h"

/* Declared by OpenBLAS's cblas.h; repeated here so that a netlib cblas.h cannot hide them. */
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

#define MAX_SELECTED 64
#define MIN_ITERS 10

/* table: the loaded problems, or NULL before it is read. */
static void usage(FILE *out, const problem_table_t *table)
{
    fprintf(out,
            "usage: openblas_gemm --problem ID [ID...] --threads N [--iters K] [--warmup W] [--gemv] [--csv]\n"
            "                     [--table PATH]\n"
            "  --problem ID...  one or more of the gemm problems of the table:");
    for (int i = 0; table != NULL && i < table->count; i++)
        if (table->rows[i].kind == KIND_GEMM)
            fprintf(out, " %s", table->rows[i].id);
    fprintf(out,
            "%s\n"
            "  --threads N      OpenBLAS threads (openblas_set_num_threads), N >= 1\n"
            "  --iters K        timed calls per problem, K >= %d (default 20)\n"
            "  --warmup W       untimed calls before timing, W >= 1 (default 3)\n"
            "  --gemv           time cblas_sgemv (harness openblas-sgemv); M = 1 problems only\n"
            "  --csv            print CSV (harness,problem,threads,ms_median,gflops); the default\n"
            "                   output is the same CSV, the flag is accepted for symmetry with simdrnn\n"
            "  --table PATH     the problem table (default: problems.tsv in the directory above this\n"
            "                   executable's, i.e. native-compare/ for build/openblas_gemm)\n",
            table == NULL ? " (--help lists them)" : "", MIN_ITERS);
}

static int parse_int(const char *s, const char *what, int min, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > 1000000) {
        fprintf(stderr, "openblas_gemm: invalid %s '%s' (integer >= %d expected)\n", what, s, min);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* xorshift64*: reproducible inputs without depending on libc's rand(). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float rand_pm1(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545F4914F6CDD1Dull;
    return (float)((double)(r >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}

static float *alloc_floats(size_t count)
{
    size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);
    if (p == NULL) {
        fprintf(stderr, "openblas_gemm: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

static int use_gemv = 0;

static void run_gemm(const problem_t *p, const float *a, const float *b, float *c)
{
    if (use_gemv) { /* M = 1: c[1,N] = a[1,K] * B[K,N] = B^T a; a's stride is 1 either way */
        cblas_sgemv(CblasRowMajor, CblasTrans, p->k, p->n, 1.0f, b, p->n, a, 1, 0.0f, c, 1);
        return;
    }
    const int lda = p->a_transposed ? p->m : p->k; /* A is K x M when transposed, else M x K */
    cblas_sgemm(CblasRowMajor, p->a_transposed ? CblasTrans : CblasNoTrans, CblasNoTrans,
                p->m, p->n, p->k, 1.0f, a, lda, b, p->n, 0.0f, c, p->n);
}

/* Compares a few entries of C with a double-precision dot product. */
static int check_result(const problem_t *p, const float *a, const float *b, const float *c)
{
    for (int s = 0; s < 16; s++) {
        int i = (int)((unsigned)(s * 7919) % (unsigned)p->m);
        int j = (int)((unsigned)(s * 104729 + 13) % (unsigned)p->n);
        double ref = 0.0, mag = 0.0;
        for (int l = 0; l < p->k; l++) {
            double av = p->a_transposed ? a[(size_t)l * p->m + i] : a[(size_t)i * p->k + l];
            double bv = b[(size_t)l * p->n + j];
            ref += av * bv;
            mag += fabs(av * bv);
        }
        double got = c[(size_t)i * p->n + j];
        double tol = 4.0 * p->k * 1.2e-7 * mag + 1e-30;
        if (!(fabs(got - ref) <= tol)) {
            fprintf(stderr, "openblas_gemm: %s: C[%d,%d] = %.9g, expected %.9g (tolerance %.3g)\n",
                    p->id, i, j, got, ref, tol);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *ids[MAX_SELECTED];
    const problem_t *selected[MAX_SELECTED];
    const char *table_path = NULL;
    int nselected = 0, threads = 0, iters = 20, warmup = 3, help = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--problem") == 0) {
            int before = nselected;
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                if (nselected == MAX_SELECTED) {
                    fprintf(stderr, "openblas_gemm: more than %d problems given\n", MAX_SELECTED);
                    return 2;
                }
                ids[nselected++] = argv[++i];
            }
            if (nselected == before) {
                fprintf(stderr, "openblas_gemm: --problem needs at least one ID\n");
                return 2;
            }
        } else if (strcmp(arg, "--threads") == 0 || strcmp(arg, "--iters") == 0 ||
                   strcmp(arg, "--warmup") == 0 || strcmp(arg, "--table") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "openblas_gemm: %s needs a value\n", arg);
                return 2;
            }
            const char *v = argv[++i];
            if (strcmp(arg, "--table") == 0) {
                table_path = v;
                continue;
            }
            int rc = strcmp(arg, "--threads") == 0 ? parse_int(v, "thread count", 1, &threads)
                     : strcmp(arg, "--iters") == 0 ? parse_int(v, "iteration count", MIN_ITERS, &iters)
                                                   : parse_int(v, "warm-up count", 1, &warmup);
            if (rc != 0)
                return 2;
        } else if (strcmp(arg, "--gemv") == 0) {
            use_gemv = 1;
        } else if (strcmp(arg, "--csv") == 0) {
            /* CSV is the only output format. */
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            help = 1;
        } else {
            fprintf(stderr, "openblas_gemm: unknown argument '%s'\n", arg);
            usage(stderr, NULL);
            return 2;
        }
    }
    /* The table after the arguments: --table may come last, and --help lists its problems. */
    problem_table_t table;
    if (problem_table_load("openblas_gemm", table_path, &table) != 0)
        return 2;
    if (help) {
        usage(stdout, &table);
        return 0;
    }
    if (nselected == 0 || threads == 0) {
        fprintf(stderr, "openblas_gemm: --problem and --threads are required\n");
        usage(stderr, &table);
        return 2;
    }
    for (int s = 0; s < nselected; s++) {
        selected[s] = problem_table_find(&table, ids[s]);
        if (selected[s] == NULL || selected[s]->kind != KIND_GEMM) {
            fprintf(stderr, selected[s] ? "openblas_gemm: '%s' is not a gemm problem\n"
                                        : "openblas_gemm: unknown problem '%s'\n", ids[s]);
            usage(stderr, &table);
            return 2;
        }
    }

    for (int s = 0; use_gemv && s < nselected; s++) {
        if (selected[s]->m != 1) {
            fprintf(stderr, "openblas_gemm: --gemv needs M = 1, but %s has M = %d\n", selected[s]->id,
                    selected[s]->m);
            return 2;
        }
    }

    openblas_set_num_threads(threads);
    int actual = openblas_get_num_threads();
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    fprintf(stderr, "openblas_gemm: core=%s threads=%d (requested %d) OPENBLAS_CORETYPE=%s\n",
            openblas_get_corename(), actual, threads, coretype ? coretype : "(unset)");
    fprintf(stderr, "openblas_gemm: config=%s\n", openblas_get_config());
    if (actual != threads)
        fprintf(stderr, "openblas_gemm: warning: OpenBLAS runs %d threads, not the %d requested\n",
                actual, threads);

    double *times = malloc(sizeof(double) * (size_t)iters);
    if (times == NULL) {
        fprintf(stderr, "openblas_gemm: out of memory\n");
        return 1;
    }

    printf("harness,problem,threads,ms_median,gflops\n");
    fflush(stdout);
    for (int s = 0; s < nselected; s++) {
        const problem_t *p = selected[s];
        size_t na = (size_t)p->m * p->k, nb = (size_t)p->k * p->n, nc = (size_t)p->m * p->n;
        float *a = alloc_floats(na), *b = alloc_floats(nb), *c = alloc_floats(nc);
        for (size_t x = 0; x < na; x++) a[x] = rand_pm1();
        for (size_t x = 0; x < nb; x++) b[x] = rand_pm1();
        for (size_t x = 0; x < nc; x++) c[x] = NAN; /* beta = 0 must ignore C */

        for (int w = 0; w < warmup; w++)
            run_gemm(p, a, b, c);
        if (check_result(p, a, b, c) != 0)
            return 1;
        for (int t = 0; t < iters; t++) {
            double t0 = now_seconds();
            run_gemm(p, a, b, c);
            times[t] = now_seconds() - t0;
        }
        double med = median(times, iters);
        double gflops = 2.0 * p->m * (double)p->n * p->k / med * 1e-9;
        printf("%s,%s,%d,%.4f,%.2f\n", use_gemv ? "openblas-sgemv" : "openblas", p->id, threads, med * 1e3, gflops);
        fflush(stdout);
        free(a);
        free(b);
        free(c);
    }
    free(times);
    free(table.rows);
    return 0;
}
