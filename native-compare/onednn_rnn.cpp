/*
 * onednn_rnn: times oneDNN's RNN primitives (LSTM, with a projection where the table gives one
 * (LSTMP), linear-before-reset GRU for `gru`, the original GRU for `gru-reset-first`, vanilla tanh
 * RNN) on the rnn problems of native-compare/problems.tsv (conventions in PROBLEMS.md) and prints
 * `harness,problem,threads,ms_median,gflops` CSV.
 *
 * Usage: onednn_rnn --problem ID [ID...] --threads N [--iters K] [--warmup W] [--csv] [--table PATH]
 *        onednn_rnn --list [--table PATH]
 *
 * One layer, unidirectional (left to right), time-major (src/dst tnc, states ldnc), fp32, on
 * oneDNN's CPU engine. Weights are created in the user layout ldigo and reordered, before
 * any timing, into the layout oneDNN prefers (format_tag::any), once for the forward and once
 * for the backward primitive: oneDNN's best case, what a tuned deployment does. Scratchpads
 * are user-managed and allocated outside the timer too.
 *
 * Rows, per problem (median of K timed calls after W warm-up calls each):
 *   train problems  onednn-fwd    forward_training alone (fills the workspace)
 *                   onednn-bwd    backward alone (data and weight gradients, bias too); an
 *                                 untimed forward_training precedes each timed call
 *                   onednn-train  forward_training + backward in one timed call
 *   infer problems  onednn-infer  forward_inference
 *   stream problems are refused (not run yet: one step per call, state carried between calls)
 * GFLOP/s with the PROBLEMS.md convention: fwd = 2*T*N*(G*H*(I+S) + P*H) (G = 1 rnn, 3 gru,
 * 4 lstm; S = P with a projection, else H; P = 0 without), bwd = 2 x fwd, train = 3 x fwd,
 * infer = fwd.
 *
 * LSTM with projection P (oneDNN's LSTMP): h_t = W_hr (o_t * tanh(c_t)), so src_iter, dst_iter
 * and dst_layer are P wide, weights_iter is {1, 1, P, 4, H}, weights_projection {1, 1, H, P}
 * (user layout ldio, reordered like the others); c stays H wide. Backward also gives
 * diff_weights_projection.
 *
 * Inputs: reproducible uniform values in [-1, 1) (x, h0, c0, dy, dhT, dcT), weights and biases
 * scaled by 1/sqrt(H) so that the gates do not saturate. Diff weights accumulate across calls
 * (oneDNN adds into them); that changes no timing. Each problem is checked once (outputs and
 * gradients finite and not all zero) before timing; a failure exits with status 1.
 *
 * Threads: the Debian build of oneDNN uses OpenMP; omp_set_num_threads(N) is called before
 * any primitive is created and the team size is verified. Diagnostics (oneDNN version, ISA,
 * thread count, implementation names) go to stderr; stdout carries only the CSV.
 */
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "problem_table.h"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

const int MIN_ITERS = 10;
const int MAX_SELECTED = 64;

int gates(cell_kind_t c) { return c == CELL_LSTM ? 4 : c == CELL_GRU || c == CELL_GRU_RESET_FIRST ? 3 : 1; }
int bias_gates(cell_kind_t c) { return c == CELL_GRU ? 4 : gates(c); } // LBR GRU: extra b_hn

/* S, the width of the hidden state, of dst_layer and of the recurrent input: P with a projection. */
int state_size(const problem_t &p) { return p.p > 0 ? p.p : p.h; }

/* G gates of H rows over the input and the recurrent state, and the P x H projection of each step. */
double fwd_flops(const problem_t &p)
{
    return 2.0 * p.t * p.n * (gates(p.cell) * (double)p.h * (p.i + state_size(p)) + (double)p.p * p.h);
}

bool runnable(const problem_t &p) { return p.kind == KIND_RNN && p.mode != MODE_STREAM; }

/* table: the loaded problems, or nullptr before it is read. */
void usage(FILE *out, const problem_table_t *table)
{
    fprintf(out,
            "usage: onednn_rnn --problem ID [ID...] --threads N [--iters K] [--warmup W] [--csv] [--table PATH]\n"
            "       onednn_rnn --list [--table PATH]\n"
            "  --problem ID...  one or more of the train and infer rnn problems of the table:");
    for (int i = 0; table != nullptr && i < table->count; i++)
        if (runnable(table->rows[i]))
            fprintf(out, " %s", table->rows[i].id);
    fprintf(out,
            "%s\n"
            "  --threads N      OpenMP threads (omp_set_num_threads), N >= 1\n"
            "  --iters K        timed calls per problem and harness, K >= %d (default 20)\n"
            "  --warmup W       untimed calls before timing, W >= 1 (default 3)\n"
            "  --csv            print CSV (harness,problem,threads,ms_median,gflops); the default\n"
            "                   output is the same CSV, the flag is accepted for symmetry with simdrnn\n"
            "  --list           print the rnn problems (id,cell,I,H,P,N,T,mode) and exit\n"
            "  --table PATH     the problem table (default: problems.tsv in the directory above this\n"
            "                   executable's, i.e. native-compare/ for build/onednn_rnn)\n",
            table == nullptr ? " (--help lists them)" : "", MIN_ITERS);
}

int parse_int(const char *s, const char *what, int min, int *out)
{
    char *end = nullptr;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > 1000000) {
        fprintf(stderr, "onednn_rnn: invalid %s '%s' (integer >= %d expected)\n", what, s, min);
        return -1;
    }
    *out = (int)v;
    return 0;
}

double now_seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* xorshift64*: reproducible inputs without depending on libc's rand(). */
uint64_t rng_state = 0x9E3779B97F4A7C15ull;
float rand_pm1()
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545F4914F6CDD1Dull;
    return (float)((double)(r >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}

/* A plain (user-layout) f32 memory filled with rand_pm1() * scale. */
memory filled(const engine &eng, const memory::dims &dims, tag t, float scale)
{
    memory m({dims, dt::f32, t}, eng);
    float *p = static_cast<float *>(m.get_data_handle());
    size_t n = m.get_desc().get_size() / sizeof(float);
    for (size_t i = 0; i < n; i++)
        p[i] = rand_pm1() * scale;
    return m;
}

void zero(memory &m)
{
    memset(m.get_data_handle(), 0, m.get_desc().get_size());
}

/* Finite everywhere and not all zero. Only for plain layouts (the reordered weights are not
 * checked; their gradients are, in the plain layout oneDNN gives them). */
bool check_memory(const problem_t &p, const char *what, const memory &m)
{
    const float *v = static_cast<const float *>(m.get_data_handle());
    size_t n = m.get_desc().get_size() / sizeof(float);
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        if (!std::isfinite(v[i])) {
            fprintf(stderr, "onednn_rnn: %s: %s[%zu] = %g is not finite\n", p.id, what, i, (double)v[i]);
            return false;
        }
        nonzero += v[i] != 0.0f;
    }
    if (nonzero == 0) {
        fprintf(stderr, "onednn_rnn: %s: %s is all zero (%zu values)\n", p.id, what, n);
        return false;
    }
    return true;
}

/* The descriptors a cell needs; weights and diff weights are given as `any`. wp_any: an LSTM's
 * projection weights, a zero descriptor without a projection. */
struct descs_t {
    memory::desc src_layer, src_iter, src_iter_c, wl_any, wi_any, wp_any, bias, dst_layer, dst_iter, dst_iter_c;
};

primitive_desc make_fwd_pd(const problem_t &p, const descs_t &d, prop_kind pk, const engine &eng,
                           const primitive_attr &attr)
{
    const auto dir = rnn_direction::unidirectional_left2right;
    switch (p.cell) {
    case CELL_LSTM: // no peephole (a zero descriptor); the projection's may be zero too
        return lstm_forward::primitive_desc(
            lstm_forward::desc(pk, dir, d.src_layer, d.src_iter, d.src_iter_c, d.wl_any, d.wi_any,
                               memory::desc(), d.wp_any, d.bias, d.dst_layer, d.dst_iter, d.dst_iter_c),
            attr, eng);
    case CELL_GRU:
        return lbr_gru_forward::primitive_desc(
            lbr_gru_forward::desc(pk, dir, d.src_layer, d.src_iter, d.wl_any, d.wi_any, d.bias,
                                  d.dst_layer, d.dst_iter),
            attr, eng);
    case CELL_GRU_RESET_FIRST:
        return gru_forward::primitive_desc(
            gru_forward::desc(pk, dir, d.src_layer, d.src_iter, d.wl_any, d.wi_any, d.bias, d.dst_layer,
                              d.dst_iter),
            attr, eng);
    case CELL_RNN_TANH:
        return vanilla_rnn_forward::primitive_desc(
            vanilla_rnn_forward::desc(pk, algorithm::eltwise_tanh, dir, d.src_layer, d.src_iter,
                                      d.wl_any, d.wi_any, d.bias, d.dst_layer, d.dst_iter),
            attr, eng);
    case CELL_NONE: // a gemm row, never selected
        break;
    }
    abort();
}

primitive make_fwd(const problem_t &p, const primitive_desc &pd)
{
    switch (p.cell) {
    case CELL_LSTM: return lstm_forward(lstm_forward::primitive_desc(pd.get()));
    case CELL_GRU: return lbr_gru_forward(lbr_gru_forward::primitive_desc(pd.get()));
    case CELL_GRU_RESET_FIRST: return gru_forward(gru_forward::primitive_desc(pd.get()));
    case CELL_RNN_TANH: return vanilla_rnn_forward(vanilla_rnn_forward::primitive_desc(pd.get()));
    case CELL_NONE: // a gemm row, never selected
        break;
    }
    abort();
}

/* Backward: data descriptors as in the forward, weights and all diff weights `any`. */
primitive_desc make_bwd_pd(const problem_t &p, const descs_t &d, const primitive_desc &fwd_pd,
                           const engine &eng, const primitive_attr &attr)
{
    const auto dir = rnn_direction::unidirectional_left2right;
    const auto bk = prop_kind::backward;
    const memory::desc bias_any(d.bias.dims(), dt::f32, tag::any);
    switch (p.cell) {
    case CELL_LSTM:
        return lstm_backward::primitive_desc(
            lstm_backward::desc(bk, dir, d.src_layer, d.src_iter, d.src_iter_c, d.wl_any, d.wi_any,
                                memory::desc(), d.wp_any, d.bias, d.dst_layer, d.dst_iter, d.dst_iter_c,
                                d.src_layer, d.src_iter, d.src_iter_c, d.wl_any, d.wi_any, memory::desc(),
                                d.wp_any, bias_any, d.dst_layer, d.dst_iter, d.dst_iter_c),
            attr, eng, lstm_forward::primitive_desc(fwd_pd.get()));
    case CELL_GRU:
        return lbr_gru_backward::primitive_desc(
            lbr_gru_backward::desc(bk, dir, d.src_layer, d.src_iter, d.wl_any, d.wi_any, d.bias,
                                   d.dst_layer, d.dst_iter, d.src_layer, d.src_iter, d.wl_any,
                                   d.wi_any, bias_any, d.dst_layer, d.dst_iter),
            attr, eng, lbr_gru_forward::primitive_desc(fwd_pd.get()));
    case CELL_GRU_RESET_FIRST:
        return gru_backward::primitive_desc(
            gru_backward::desc(bk, dir, d.src_layer, d.src_iter, d.wl_any, d.wi_any, d.bias, d.dst_layer,
                               d.dst_iter, d.src_layer, d.src_iter, d.wl_any, d.wi_any, bias_any,
                               d.dst_layer, d.dst_iter),
            attr, eng, gru_forward::primitive_desc(fwd_pd.get()));
    case CELL_RNN_TANH:
        return vanilla_rnn_backward::primitive_desc(
            vanilla_rnn_backward::desc(bk, algorithm::eltwise_tanh, dir, d.src_layer, d.src_iter,
                                       d.wl_any, d.wi_any, d.bias, d.dst_layer, d.dst_iter,
                                       d.src_layer, d.src_iter, d.wl_any, d.wi_any, bias_any,
                                       d.dst_layer, d.dst_iter),
            attr, eng, vanilla_rnn_forward::primitive_desc(fwd_pd.get()));
    case CELL_NONE: // a gemm row, never selected
        break;
    }
    abort();
}

primitive make_bwd(const problem_t &p, const primitive_desc &pd)
{
    switch (p.cell) {
    case CELL_LSTM: return lstm_backward(lstm_backward::primitive_desc(pd.get()));
    case CELL_GRU: return lbr_gru_backward(lbr_gru_backward::primitive_desc(pd.get()));
    case CELL_GRU_RESET_FIRST: return gru_backward(gru_backward::primitive_desc(pd.get()));
    case CELL_RNN_TANH: return vanilla_rnn_backward(vanilla_rnn_backward::primitive_desc(pd.get()));
    case CELL_NONE: // a gemm row, never selected
        break;
    }
    abort();
}

memory::desc arg_md(const primitive_desc &pd, int arg)
{
    return pd.query_md(query::exec_arg_md, arg);
}

/* `user` reordered into a new memory of layout `want` (a plain copy if the layouts agree). */
memory reordered(const memory &user, const memory::desc &want, const engine &eng, stream &s)
{
    memory m(want, eng);
    reorder(user, m).execute(s, const_cast<memory &>(user), m);
    s.wait();
    return m;
}

std::string layout_name(const memory::desc &md)
{
    const dnnl_memory_desc_t &c = md.data;
    if (c.format_kind == dnnl_format_kind_rnn_packed)
        return "rnn_packed";
    if (c.format_kind != dnnl_blocked)
        return "format_kind=" + std::to_string((int)c.format_kind);
    std::string s = "strides";
    for (int i = 0; i < c.ndims; i++)
        s += (i ? "," : "=") + std::to_string((long long)c.format_desc.blocking.strides[i]);
    for (int i = 0; i < c.format_desc.blocking.inner_nblks; i++)
        s += " blk" + std::to_string((int)c.format_desc.blocking.inner_idxs[i]) + ":" +
             std::to_string((long long)c.format_desc.blocking.inner_blks[i]);
    return s;
}

struct row_t {
    const char *harness;
    double seconds;
    double flops;
};

/* Runs one problem; returns false if its sanity check failed. */
bool run_problem(const problem_t &p, int threads, int iters, int warmup, const engine &eng, stream &s)
{
    // S: the width of h and y (P with a projection, else H); c stays H wide.
    const memory::dim T = p.t, N = p.n, I = p.i, H = p.h, S = state_size(p), G = gates(p.cell), GB = bias_gates(p.cell);
    const float wscale = 1.0f / std::sqrt((float)p.h);
    const bool lstm = p.cell == CELL_LSTM;
    const bool projected = p.p > 0;
    const bool train = p.mode == MODE_TRAIN;

    descs_t d;
    d.src_layer = {{T, N, I}, dt::f32, tag::tnc};
    d.src_iter = {{1, 1, N, S}, dt::f32, tag::ldnc};
    d.src_iter_c = lstm ? memory::desc({1, 1, N, H}, dt::f32, tag::ldnc) : memory::desc();
    d.wl_any = {{1, 1, I, G, H}, dt::f32, tag::any};
    d.wi_any = {{1, 1, S, G, H}, dt::f32, tag::any};
    d.wp_any = projected ? memory::desc({1, 1, H, S}, dt::f32, tag::any) : memory::desc();
    d.bias = {{1, 1, GB, H}, dt::f32, tag::ldgo};
    d.dst_layer = {{T, N, S}, dt::f32, tag::tnc};
    d.dst_iter = d.src_iter;
    d.dst_iter_c = d.src_iter_c;

    // User data (plain layouts).
    memory x = filled(eng, {T, N, I}, tag::tnc, 1.0f);
    memory h0 = filled(eng, {1, 1, N, S}, tag::ldnc, 1.0f);
    memory c0 = lstm ? filled(eng, {1, 1, N, H}, tag::ldnc, 1.0f) : memory();
    memory wl_user = filled(eng, {1, 1, I, G, H}, tag::ldigo, wscale);
    memory wi_user = filled(eng, {1, 1, S, G, H}, tag::ldigo, wscale);
    memory wp_user = projected ? filled(eng, {1, 1, H, S}, tag::ldio, wscale) : memory();
    memory bias = filled(eng, {1, 1, GB, H}, tag::ldgo, wscale);
    memory y({{T, N, S}, dt::f32, tag::tnc}, eng);
    memory hT({{1, 1, N, S}, dt::f32, tag::ldnc}, eng);
    memory cT = lstm ? memory({{1, 1, N, H}, dt::f32, tag::ldnc}, eng) : memory();

    primitive_attr attr;
    attr.set_scratchpad_mode(scratchpad_mode::user);

    const prop_kind fk = train ? prop_kind::forward_training : prop_kind::forward_inference;
    primitive_desc fpd = make_fwd_pd(p, d, fk, eng, attr);
    primitive fwd = make_fwd(p, fpd);
    memory f_wl = reordered(wl_user, arg_md(fpd, DNNL_ARG_WEIGHTS_LAYER), eng, s);
    memory f_wi = reordered(wi_user, arg_md(fpd, DNNL_ARG_WEIGHTS_ITER), eng, s);
    memory f_wp = projected ? reordered(wp_user, arg_md(fpd, DNNL_ARG_WEIGHTS_PROJECTION), eng, s) : memory();
    memory f_scratch(fpd.scratchpad_desc(), eng);
    memory ws = train ? memory(fpd.workspace_desc(), eng) : memory();
    fprintf(stderr, "onednn_rnn: %s (%s I=%d H=%d P=%d N=%d T=%d, %s): forward impl %s; weights_layer %s; "
                    "weights_iter %s; weights_projection %s; workspace %zu B, scratchpad %zu B\n",
            p.id, problem_cell_name(p.cell), p.i, p.h, p.p, p.n, p.t, problem_mode_name(p.mode), fpd.impl_info_str(),
            layout_name(arg_md(fpd, DNNL_ARG_WEIGHTS_LAYER)).c_str(),
            layout_name(arg_md(fpd, DNNL_ARG_WEIGHTS_ITER)).c_str(),
            projected ? layout_name(arg_md(fpd, DNNL_ARG_WEIGHTS_PROJECTION)).c_str() : "none",
            train ? fpd.workspace_desc().get_size() : (size_t)0, fpd.scratchpad_desc().get_size());

    std::unordered_map<int, memory> fargs = {
        {DNNL_ARG_SRC_LAYER, x}, {DNNL_ARG_SRC_ITER, h0}, {DNNL_ARG_WEIGHTS_LAYER, f_wl},
        {DNNL_ARG_WEIGHTS_ITER, f_wi}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST_LAYER, y},
        {DNNL_ARG_DST_ITER, hT}, {DNNL_ARG_SCRATCHPAD, f_scratch}};
    if (lstm) {
        fargs[DNNL_ARG_SRC_ITER_C] = c0;
        fargs[DNNL_ARG_DST_ITER_C] = cT;
    }
    if (projected)
        fargs[DNNL_ARG_WEIGHTS_PROJECTION] = f_wp;
    if (train)
        fargs[DNNL_ARG_WORKSPACE] = ws;

    auto run_fwd = [&] {
        fwd.execute(s, fargs);
        s.wait();
    };

    std::vector<row_t> rows;
    std::vector<double> times((size_t)iters);
    auto time_it = [&](const char *label, const std::function<void()> &before,
                       const std::function<void()> &body) {
        for (int t = 0; t < iters; t++) {
            before();
            double t0 = now_seconds();
            body();
            times[(size_t)t] = now_seconds() - t0;
        }
        double med = median(times);
        fprintf(stderr, "onednn_rnn:   %s %s: min %.3f ms, median %.3f ms, max %.3f ms\n", p.id, label,
                *std::min_element(times.begin(), times.end()) * 1e3, med * 1e3,
                *std::max_element(times.begin(), times.end()) * 1e3);
        return med;
    };
    auto nothing = [] {};

    if (!train) {
        for (int w = 0; w < warmup; w++)
            run_fwd();
        if (!check_memory(p, "dst_layer", y) || !check_memory(p, "dst_iter", hT))
            return false;
        rows.push_back({"onednn-infer", time_it("onednn-infer", nothing, run_fwd), fwd_flops(p)});
    } else {
        primitive_desc bpd = make_bwd_pd(p, d, fpd, eng, attr);
        primitive bwd = make_bwd(p, bpd);
        memory b_wl = reordered(wl_user, arg_md(bpd, DNNL_ARG_WEIGHTS_LAYER), eng, s);
        memory b_wi = reordered(wi_user, arg_md(bpd, DNNL_ARG_WEIGHTS_ITER), eng, s);
        memory b_wp = projected ? reordered(wp_user, arg_md(bpd, DNNL_ARG_WEIGHTS_PROJECTION), eng, s) : memory();
        memory b_scratch(bpd.scratchpad_desc(), eng);
        memory dx(arg_md(bpd, DNNL_ARG_DIFF_SRC_LAYER), eng);
        memory dh0(arg_md(bpd, DNNL_ARG_DIFF_SRC_ITER), eng);
        memory dc0 = lstm ? memory(arg_md(bpd, DNNL_ARG_DIFF_SRC_ITER_C), eng) : memory();
        memory dwl(arg_md(bpd, DNNL_ARG_DIFF_WEIGHTS_LAYER), eng);
        memory dwi(arg_md(bpd, DNNL_ARG_DIFF_WEIGHTS_ITER), eng);
        memory dwp = projected ? memory(arg_md(bpd, DNNL_ARG_DIFF_WEIGHTS_PROJECTION), eng) : memory();
        memory dbias(arg_md(bpd, DNNL_ARG_DIFF_BIAS), eng);
        memory dy = filled(eng, {T, N, S}, tag::tnc, 1.0f);
        memory dhT = filled(eng, {1, 1, N, S}, tag::ldnc, 1.0f);
        memory dcT = lstm ? filled(eng, {1, 1, N, H}, tag::ldnc, 1.0f) : memory();
        zero(dwl);
        zero(dwi);
        zero(dbias);
        if (projected)
            zero(dwp);
        fprintf(stderr, "onednn_rnn: %s: backward impl %s; weights_layer %s; weights_iter %s; "
                        "diff_weights_layer %s; scratchpad %zu B\n",
                p.id, bpd.impl_info_str(), layout_name(arg_md(bpd, DNNL_ARG_WEIGHTS_LAYER)).c_str(),
                layout_name(arg_md(bpd, DNNL_ARG_WEIGHTS_ITER)).c_str(),
                layout_name(arg_md(bpd, DNNL_ARG_DIFF_WEIGHTS_LAYER)).c_str(),
                bpd.scratchpad_desc().get_size());

        std::unordered_map<int, memory> bargs = {
            {DNNL_ARG_SRC_LAYER, x}, {DNNL_ARG_SRC_ITER, h0}, {DNNL_ARG_WEIGHTS_LAYER, b_wl},
            {DNNL_ARG_WEIGHTS_ITER, b_wi}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST_LAYER, y},
            {DNNL_ARG_DST_ITER, hT}, {DNNL_ARG_WORKSPACE, ws},
            {DNNL_ARG_DIFF_SRC_LAYER, dx}, {DNNL_ARG_DIFF_SRC_ITER, dh0},
            {DNNL_ARG_DIFF_WEIGHTS_LAYER, dwl}, {DNNL_ARG_DIFF_WEIGHTS_ITER, dwi},
            {DNNL_ARG_DIFF_BIAS, dbias}, {DNNL_ARG_DIFF_DST_LAYER, dy}, {DNNL_ARG_DIFF_DST_ITER, dhT},
            {DNNL_ARG_SCRATCHPAD, b_scratch}};
        if (lstm) {
            bargs[DNNL_ARG_SRC_ITER_C] = c0;
            bargs[DNNL_ARG_DST_ITER_C] = cT;
            bargs[DNNL_ARG_DIFF_SRC_ITER_C] = dc0;
            bargs[DNNL_ARG_DIFF_DST_ITER_C] = dcT;
        }
        if (projected) {
            bargs[DNNL_ARG_WEIGHTS_PROJECTION] = b_wp;
            bargs[DNNL_ARG_DIFF_WEIGHTS_PROJECTION] = dwp;
        }
        auto run_bwd = [&] {
            bwd.execute(s, bargs);
            s.wait();
        };
        auto run_train = [&] {
            fwd.execute(s, fargs);
            bwd.execute(s, bargs);
            s.wait();
        };

        // Check one forward_training + backward from zeroed gradients.
        run_fwd();
        if (!check_memory(p, "dst_layer", y) || !check_memory(p, "dst_iter", hT))
            return false;
        run_bwd();
        if (!check_memory(p, "diff_src_layer", dx) || !check_memory(p, "diff_src_iter", dh0) ||
            !check_memory(p, "diff_weights_layer", dwl) || !check_memory(p, "diff_weights_iter", dwi) ||
            !check_memory(p, "diff_bias", dbias) ||
            (projected && !check_memory(p, "diff_weights_projection", dwp)))
            return false;

        const double f = fwd_flops(p);
        for (int w = 0; w < warmup; w++)
            run_fwd();
        rows.push_back({"onednn-fwd", time_it("onednn-fwd", nothing, run_fwd), f});
        for (int w = 0; w < warmup; w++) {
            run_fwd();
            run_bwd();
        }
        rows.push_back({"onednn-bwd", time_it("onednn-bwd", run_fwd, run_bwd), 2.0 * f});
        for (int w = 0; w < warmup; w++)
            run_train();
        rows.push_back({"onednn-train", time_it("onednn-train", nothing, run_train), 3.0 * f});
        // Gradients accumulated over all calls must still be finite.
        if (!check_memory(p, "diff_weights_layer (accumulated)", dwl))
            return false;
    }

    for (const row_t &r : rows)
        printf("%s,%s,%d,%.4f,%.2f\n", r.harness, p.id, threads, r.seconds * 1e3, r.flops / r.seconds * 1e-9);
    fflush(stdout);
    return true;
}

const char *isa_name(cpu_isa isa)
{
    switch (isa) {
    case cpu_isa::sse41: return "sse41";
    case cpu_isa::avx: return "avx";
    case cpu_isa::avx2: return "avx2";
    case cpu_isa::avx512_core: return "avx512_core";
    case cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case cpu_isa::avx2_vnni: return "avx2_vnni";
    default: return "other";
    }
}

} // namespace

int main(int argc, char **argv)
{
    std::vector<const char *> ids;
    const char *table_path = nullptr;
    int threads = 0, iters = 20, warmup = 3;
    bool help = false, list = false;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--problem") == 0) {
            size_t before = ids.size();
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                if ((int)ids.size() == MAX_SELECTED) {
                    fprintf(stderr, "onednn_rnn: more than %d problems given\n", MAX_SELECTED);
                    return 2;
                }
                ids.push_back(argv[++i]);
            }
            if (ids.size() == before) {
                fprintf(stderr, "onednn_rnn: --problem needs at least one ID\n");
                return 2;
            }
        } else if (strcmp(arg, "--threads") == 0 || strcmp(arg, "--iters") == 0 ||
                   strcmp(arg, "--warmup") == 0 || strcmp(arg, "--table") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "onednn_rnn: %s needs a value\n", arg);
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
        } else if (strcmp(arg, "--csv") == 0) {
            /* CSV is the only output format. */
        } else if (strcmp(arg, "--list") == 0) {
            list = true;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            help = true;
        } else {
            fprintf(stderr, "onednn_rnn: unknown argument '%s'\n", arg);
            usage(stderr, nullptr);
            return 2;
        }
    }
    // The table after the arguments: --table may come last, and --help and --list show its problems.
    problem_table_t table;
    if (problem_table_load("onednn_rnn", table_path, &table) != 0)
        return 2;
    if (help) {
        usage(stdout, &table);
        return 0;
    }
    if (list) {
        printf("id,cell,I,H,P,N,T,mode\n");
        for (int k = 0; k < table.count; k++) {
            const problem_t &p = table.rows[k];
            if (p.kind == KIND_RNN)
                printf("%s,%s,%d,%d,%s,%d,%d,%s\n", p.id, problem_cell_name(p.cell), p.i, p.h,
                       p.p > 0 ? std::to_string(p.p).c_str() : "-", p.n, p.t, problem_mode_name(p.mode));
        }
        return 0;
    }
    if (ids.empty() || threads == 0) {
        fprintf(stderr, "onednn_rnn: --problem and --threads are required\n");
        usage(stderr, &table);
        return 2;
    }
    std::vector<const problem_t *> selected;
    for (const char *id : ids) {
        const problem_t *p = problem_table_find(&table, id);
        if (p == nullptr || !runnable(*p)) {
            if (p == nullptr)
                fprintf(stderr, "onednn_rnn: unknown problem '%s'\n", id);
            else if (p->kind != KIND_RNN)
                fprintf(stderr, "onednn_rnn: '%s' is not an rnn problem\n", id);
            else
                fprintf(stderr, "onednn_rnn: '%s' is a stream problem (one step per call, state carried "
                                "between calls), which this harness does not run yet\n", id);
            usage(stderr, &table);
            return 2;
        }
        selected.push_back(p);
    }

    // Threads first: oneDNN sizes its kernels' work split when primitives are created.
    omp_set_num_threads(threads);
    int team = 0;
#pragma omp parallel
    {
#pragma omp single
        team = omp_get_num_threads();
    }
    const version_t *v = version();
    const char *omp_env = getenv("OMP_NUM_THREADS");
    fprintf(stderr, "onednn_rnn: oneDNN %d.%d.%d (commit %s), cpu isa %s, OpenMP threads=%d (max %d, requested %d), "
                    "OMP_NUM_THREADS=%s\n",
            v->major, v->minor, v->patch, v->hash, isa_name(get_effective_cpu_isa()), team,
            omp_get_max_threads(), threads, omp_env ? omp_env : "(unset)");
    if (team != threads)
        fprintf(stderr, "onednn_rnn: warning: OpenMP runs %d threads, not the %d requested\n", team, threads);

    try {
        engine eng(engine::kind::cpu, 0);
        stream s(eng);
        printf("harness,problem,threads,ms_median,gflops\n");
        fflush(stdout);
        for (const problem_t *p : selected)
            if (!run_problem(*p, threads, iters, warmup, eng, s)) {
                fprintf(stderr, "onednn_rnn: %s: sanity check failed\n", p->id);
                return 1;
            }
    } catch (const dnnl::error &e) {
        fprintf(stderr, "onednn_rnn: oneDNN error: %s (status %d)\n", e.what(), (int)e.status);
        return 1;
    }
    return 0;
}
