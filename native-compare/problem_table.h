/*
 * problem_table.h: reads native-compare/problems.tsv, the one table of the benchmark problems
 * (conventions in PROBLEMS.md), for openblas_gemm.c and onednn_rnn.cpp. Header-only, valid C11
 * and C++17, so that both harnesses parse the file the same strict way.
 *
 * Strict: the first line must be the exact header; every other line has exactly 13 tab-separated
 * fields, a unique id, kind rnn or gemm, positive sizes, a known cell and mode (rnn) or
 * a_transposed yes|no (gemm), "-" in the columns the kind does not use, and a non-empty origin;
 * the projection P is "-" or, on an lstm row only, a size below H.
 * Any violation is reported as PATH:LINE (ID): message.
 */
#ifndef PROBLEM_TABLE_H
#define PROBLEM_TABLE_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBLEM_TABLE_HEADER "id\tkind\tcell\tI\tH\tP\tN\tT\tmode\tM\tK\ta_transposed\torigin"
#define PROBLEM_TABLE_COLUMNS 13
#define PROBLEM_TABLE_MAX_SIZE 1000000

/* The index of each column of the header, named as it is. */
enum {
    COL_ID, COL_KIND, COL_CELL, COL_I, COL_H, COL_P, COL_N, COL_T, COL_MODE, COL_M, COL_K, COL_A_TRANSPOSED, COL_ORIGIN
};

typedef enum { KIND_RNN, KIND_GEMM } problem_kind_t;
/* CELL_GRU: linear before reset (PyTorch's); CELL_GRU_RESET_FIRST: the reset gate before the recurrent
 * product (ONNX's linear_before_reset = 0). */
typedef enum { CELL_NONE, CELL_LSTM, CELL_GRU, CELL_RNN_TANH, CELL_GRU_RESET_FIRST } cell_kind_t;
typedef enum { MODE_NONE, MODE_TRAIN, MODE_INFER, MODE_STREAM } run_mode_t;

typedef struct {
    char id[64];
    problem_kind_t kind;
    cell_kind_t cell; /* rnn */
    int i, h, t;      /* rnn: input and hidden size, steps (columns I, H, T; complex.h owns I) */
    int p;            /* rnn: an lstm's projection size (column P), 0 for none ("-") */
    int n;            /* rnn: batch; gemm: columns of C */
    run_mode_t mode;  /* rnn */
    int m, k;         /* gemm */
    int a_transposed; /* gemm: 1 if A is stored K x M and used transposed */
    char origin[256];
} problem_t;

typedef struct {
    problem_t *rows;
    int count;
} problem_table_t;

/* Names by enum value; "-" (CELL_NONE, MODE_NONE) is what a gemm row has. */
static inline const char *const *problem_cell_names(void)
{
    static const char *const names[] = {"-", "lstm", "gru", "rnn-tanh", "gru-reset-first", NULL};
    return names;
}

static inline const char *const *problem_mode_names(void)
{
    static const char *const names[] = {"-", "train", "infer", "stream", NULL};
    return names;
}

static inline const char *problem_cell_name(cell_kind_t cell) { return problem_cell_names()[cell]; }
static inline const char *problem_mode_name(run_mode_t mode) { return problem_mode_names()[mode]; }

/* The index of field in a NULL-terminated list of names, or -1. */
static inline int problem_table_lookup(const char *field, const char *const *names)
{
    for (int i = 0; names[i] != NULL; i++)
        if (strcmp(field, names[i]) == 0)
            return i;
    return -1;
}

/* "-" for a column the row's kind does not use, else a positive integer; -1 if neither. */
static inline int problem_table_size(const char *field, int used)
{
    if (!used)
        return strcmp(field, "-") == 0 ? 0 : -1;
    if (field[0] < '1' || field[0] > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    long value = strtol(field, &end, 10);
    return errno == 0 && *end == '\0' && value <= PROBLEM_TABLE_MAX_SIZE ? (int)value : -1;
}

/* Parses one data line (the tabs are overwritten); returns NULL or what is wrong with it. */
static inline const char *problem_table_parse_row(char *line, problem_t *p)
{
    if (*line == '\0')
        return "empty line";
    char *fields[PROBLEM_TABLE_COLUMNS];
    int count = 0;
    for (char *field = line;; field++) {
        if (count == PROBLEM_TABLE_COLUMNS)
            return "more than 13 tab-separated fields";
        fields[count++] = field;
        field = strchr(field, '\t');
        if (field == NULL)
            break;
        *field = '\0';
    }
    if (count != PROBLEM_TABLE_COLUMNS)
        return "fewer than 13 tab-separated fields";
    memset(p, 0, sizeof *p);
    if (fields[COL_ID][0] == '\0' || strlen(fields[COL_ID]) >= sizeof p->id)
        return "empty or over-long id";
    strcpy(p->id, fields[COL_ID]);
    int rnn = strcmp(fields[COL_KIND], "rnn") == 0;
    if (!rnn && strcmp(fields[COL_KIND], "gemm") != 0)
        return "unknown kind (rnn, gemm)";
    p->kind = rnn ? KIND_RNN : KIND_GEMM;
    int cell = problem_table_lookup(fields[COL_CELL], problem_cell_names());
    if (rnn ? cell < 1 : cell != CELL_NONE)
        return rnn ? "unknown cell (lstm, gru, gru-reset-first, rnn-tanh)" : "a gemm problem has no cell ('-')";
    p->cell = (cell_kind_t)cell;
    int mode = problem_table_lookup(fields[COL_MODE], problem_mode_names());
    if (rnn ? mode < 1 : mode != MODE_NONE)
        return rnn ? "unknown mode (train, infer, stream)" : "a gemm problem has no mode ('-')";
    p->mode = (run_mode_t)mode;
    p->i = problem_table_size(fields[COL_I], rnn);
    p->h = problem_table_size(fields[COL_H], rnn);
    p->n = problem_table_size(fields[COL_N], 1);
    p->t = problem_table_size(fields[COL_T], rnn);
    p->m = problem_table_size(fields[COL_M], !rnn);
    p->k = problem_table_size(fields[COL_K], !rnn);
    if (p->i < 0 || p->h < 0 || p->n < 0 || p->t < 0 || p->m < 0 || p->k < 0)
        return rnn ? "I, H, N, T must be integers in [1, 1000000] and M, K '-'"
                   : "M, N, K must be integers in [1, 1000000] and I, H, P, T '-'";
    if (strcmp(fields[COL_P], "-") != 0) {
        if (p->cell != CELL_LSTM)
            return rnn ? "only an lstm problem has a projection P (others '-')"
                       : "M, N, K must be integers in [1, 1000000] and I, H, P, T '-'";
        p->p = problem_table_size(fields[COL_P], 1);
        if (p->p < 0)
            return "P must be '-' or an integer in [1, 1000000]";
        if (p->p >= p->h)
            return "the projection P must be smaller than H";
    }
    static const char *const no_yes[] = {"no", "yes", NULL};
    const char *a_transposed = fields[COL_A_TRANSPOSED];
    p->a_transposed = rnn ? (strcmp(a_transposed, "-") == 0 ? 0 : -1) : problem_table_lookup(a_transposed, no_yes);
    if (p->a_transposed < 0)
        return rnn ? "an rnn problem has no a_transposed ('-')" : "a_transposed must be yes or no";
    if (fields[COL_ORIGIN][0] == '\0' || strlen(fields[COL_ORIGIN]) >= sizeof p->origin)
        return "empty or over-long origin";
    strcpy(p->origin, fields[COL_ORIGIN]);
    return NULL;
}

static inline const char *problem_table_default_path(void);

/* Reads the table at path (NULL: the default path); on any error prints "PROG: PATH...: message" to
 * stderr and returns -1. */
static inline int problem_table_load(const char *prog, const char *path, problem_table_t *table)
{
    if (path == NULL)
        path = problem_table_default_path();
    table->rows = NULL;
    table->count = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot read the problem table %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    int number = 0, failed = 0;
    while (!failed && (length = getline(&line, &capacity, f)) >= 0) {
        number++;
        if (length > 0 && line[length - 1] == '\n')
            line[--length] = '\0';
        if (number == 1) {
            if (strcmp(line, PROBLEM_TABLE_HEADER) != 0) {
                fprintf(stderr, "%s: %s:1: the header must be the tab-separated columns: %s\n", prog, path,
                        PROBLEM_TABLE_HEADER);
                failed = 1;
            }
            continue;
        }
        problem_t *grown = (problem_t *)realloc(table->rows, sizeof(problem_t) * (size_t)(table->count + 1));
        if (grown == NULL) {
            fprintf(stderr, "%s: out of memory reading %s\n", prog, path);
            failed = 1;
            break;
        }
        table->rows = grown;
        problem_t *p = &table->rows[table->count];
        char id[sizeof p->id];
        snprintf(id, sizeof id, "%.*s", (int)strcspn(line, "\t"), line);
        const char *error = problem_table_parse_row(line, p);
        for (int i = 0; error == NULL && i < table->count; i++)
            if (strcmp(table->rows[i].id, p->id) == 0)
                error = "duplicate id";
        if (error != NULL) {
            fprintf(stderr, "%s: %s:%d (%s): %s\n", prog, path, number, id, error);
            failed = 1;
        }
        table->count++;
    }
    free(line);
    fclose(f);
    if (!failed && table->count == 0) {
        fprintf(stderr, "%s: %s has no problems\n", prog, path);
        failed = 1;
    }
    if (failed) {
        free(table->rows);
        table->rows = NULL;
        table->count = 0;
        return -1;
    }
    return 0;
}

/* The row with this id, or NULL. */
static inline const problem_t *problem_table_find(const problem_table_t *table, const char *id)
{
    for (int i = 0; i < table->count; i++)
        if (strcmp(table->rows[i].id, id) == 0)
            return &table->rows[i];
    return NULL;
}

/* problems.tsv in the parent of the executable's directory: native-compare/ for build/HARNESS. */
static inline const char *problem_table_default_path(void)
{
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return "problems.tsv";
    path[n] = '\0';
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(path, '/');
        if (slash == NULL)
            return "problems.tsv";
        *slash = '\0';
    }
    if (strlen(path) + sizeof "/problems.tsv" > sizeof path)
        return "problems.tsv";
    strcat(path, "/problems.tsv");
    return path;
}

#endif
