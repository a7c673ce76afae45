// larq-ber's optional CPU kernel, second part: a training BatchNorm, a max pool and a
// ReLU in one pass over the convolution's output, and their gradient in one more.
//
// LarqBerBatchNormMaxPoolRelu(x, gamma, beta) for x of shape [N, H, W, C] (NHWC) and
// a VALID pool of window ksize = [kh, kw] and strides = [sh, sw]:
//   mean, variance  the batch statistics per channel (variance without Bessel's
//                   correction), from shifted sums (shift: x[0, 0, 0, c]), in float
//                   per image and in double precision across images;
//   y               relu(maxpool(gamma (x - mean) / sqrt(variance + epsilon) + beta)).
// The affine map of a channel is monotone, so the window's maximum after it is the
// image of the window's maximum of x where gamma > 0, of its minimum where gamma < 0,
// and (every element equal) of its first element where gamma == 0: the kernel pools
// x itself, normalises only the pooled values, and returns the selected value of x
// (`selected`) and its position in the image (`index`, h * W + w) for the gradient.
// Ties go to the first element in the window's row-major order, as in MaxPool.
//
// LarqBerBatchNormMaxPoolReluGrad: with g the gradient reaching each element of x's
// normalised map (dy where y > 0, at the selected element; 0 elsewhere) and
// xhat = (x - mean) / sqrt(variance + epsilon), M = N H W:
//   dbeta  = sum g,  dgamma = sum g xhat  (over the pooled values only: g is 0
//            elsewhere),
//   dx     = gamma / sqrt(variance + epsilon) (g - dbeta / M - xhat dgamma / M),
// which reads x and writes dx once. `larq_ber.batch_norm_pool` registers it as the
// gradient; tests/test_batch_norm_pool.py checks both against TensorFlow's operations.
// A NaN makes its channel's statistics NaN and its outputs 0, as through
// TensorFlow's operations on a CPU.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/work_sharder.h"

namespace larq_ber {
namespace {

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;
using tensorflow::errors::InvalidArgument;

// L float (or int32) lanes as one vector (GCC/Clang vector extensions: AVX2 or SSE
// registers, whatever the build targets).
template <int L>
struct Lanes {
  typedef float F __attribute__((vector_size(sizeof(float) * L)));
  typedef int32_t I __attribute__((vector_size(sizeof(int32_t) * L)));
  static F Load(const float* p) {
    F v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static I LoadI(const int32_t* p) {
    I v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void Store(float* p, F v) { std::memcpy(p, &v, sizeof v); }
  static void StoreI(int32_t* p, I v) { std::memcpy(p, &v, sizeof v); }
};

// Calls f.template operator()<L>(c0) for channels [c0, c0 + L): blocks of 8, then
// one of 4, 2 and 1 as needed (20 channels: 8, 8, 4).
template <typename Fn>
void ForChannelBlocks(int64_t channels, Fn&& f) {
  int64_t c = 0;
  for (; c + 8 <= channels; c += 8) f.template operator()<8>(c);
  if (c + 4 <= channels) {
    f.template operator()<4>(c);
    c += 4;
  }
  if (c + 2 <= channels) {
    f.template operator()<2>(c);
    c += 2;
  }
  if (c < channels) f.template operator()<1>(c);
}

struct Geometry {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw;
  // Windows that tile the image exactly (LeNet-4's 2 x 2 pool of 24 x 24): every
  // element lies in one window, and one pass per window does all the work.
  bool tiled;
  int64_t image() const { return h * w * c; }
  int64_t pooled() const { return oh * ow * c; }
};

// Checks x's rank and the pool's attributes and fills `g`, or fails `ctx`.
void GeometryOf(OpKernelContext* ctx, const Tensor& x, const std::vector<int32_t>& ksize,
                const std::vector<int32_t>& strides, Geometry* g) {
  OP_REQUIRES(ctx, x.dims() == 4,
              InvalidArgument("`x` must be 4-D (NHWC), got shape ",
                              x.shape().DebugString()));
  OP_REQUIRES(ctx, ksize.size() == 2 && strides.size() == 2,
              InvalidArgument("`ksize` and `strides` must hold 2 values each"));
  OP_REQUIRES(ctx, ksize[0] > 0 && ksize[1] > 0 && strides[0] > 0 && strides[1] > 0,
              InvalidArgument("`ksize` and `strides` must be positive"));
  g->n = x.dim_size(0);
  g->h = x.dim_size(1);
  g->w = x.dim_size(2);
  g->c = x.dim_size(3);
  g->kh = ksize[0];
  g->kw = ksize[1];
  g->sh = strides[0];
  g->sw = strides[1];
  OP_REQUIRES(ctx, g->h >= g->kh && g->w >= g->kw,
              InvalidArgument("the pool window ", g->kh, " x ", g->kw,
                              " is larger than the map ", g->h, " x ", g->w));
  OP_REQUIRES(ctx, g->h * g->w <= std::numeric_limits<int32_t>::max(),
              InvalidArgument("a map of ", g->h, " x ", g->w, " is too large"));
  g->oh = (g->h - g->kh) / g->sh + 1;
  g->ow = (g->w - g->kw) / g->sw + 1;
  g->tiled = g->kh == g->sh && g->kw == g->sw && g->oh * g->kh == g->h &&
             g->ow * g->kw == g->w;
}

// One element v at position q of a window: kept if it beats the pick so far in the
// channel's direction d (key = d * best).
template <typename F, typename I>
inline void Consider(F v, int64_t q, F d, F* key, F* best, I* at) {
  const F candidate = d * v;
  const I better = candidate > *key;
  *key = better ? candidate : *key;
  *best = better ? v : *best;
  *at = better ? (I{} + static_cast<int32_t>(q)) : *at;
}

// What the forward pass reads and writes for one image: its shifted sums go to
// acc1/acc2, its windows' picks to sel/idx.
struct ImageForward {
  const Geometry& g;
  const float* __restrict src;
  const float* shift;
  const float* dir;  // +1 (max), -1 (min) or 0 (first element) per channel
  float* acc1;
  float* acc2;
  float* __restrict sel;
  int32_t* __restrict idx;
};

// One tiled window (its first element p0 = h * W + w; sel/idx point at its pick).
struct TiledForward : ImageForward {
  int64_t p0;
  template <int L>
  void operator()(int64_t c0) const {
    using V = Lanes<L>;
    using F = typename V::F;
    using I = typename V::I;
    const int64_t C = g.c;
    const F k = V::Load(shift + c0), d = V::Load(dir + c0);
    F a = V::Load(acc1 + c0), b = V::Load(acc2 + c0);
    F best = V::Load(src + p0 * C + c0);
    F key = d * best;
    I at = I{} + static_cast<int32_t>(p0);
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t q = p0 + ky * g.w + kx;
        const F v = V::Load(src + q * C + c0);
        const F e = v - k;
        a += e;
        b += e * e;
        Consider(v, q, d, &key, &best, &at);
      }
    }
    V::Store(acc1 + c0, a);
    V::Store(acc2 + c0, b);
    V::Store(sel + c0, best);
    V::StoreI(idx + c0, at);
  }
};

// One image, any windows (overlapping, or leaving elements out): the sums over all
// elements, then every window's pick.
struct GeneralForward : ImageForward {
  template <int L>
  void operator()(int64_t c0) const {
    using V = Lanes<L>;
    using F = typename V::F;
    using I = typename V::I;
    const int64_t C = g.c;
    const F k = V::Load(shift + c0), d = V::Load(dir + c0);
    F a = F{}, b = F{};
    for (int64_t q = c0; q < g.image(); q += C) {
      const F e = V::Load(src + q) - k;
      a += e;
      b += e * e;
    }
    V::Store(acc1 + c0, a);
    V::Store(acc2 + c0, b);
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const int64_t p0 = oy * g.sh * g.w + ox * g.sw;
        F best = V::Load(src + p0 * C + c0);
        F key = d * best;
        I at = I{} + static_cast<int32_t>(p0);
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            const int64_t q = p0 + ky * g.w + kx;
            Consider(V::Load(src + q * C + c0), q, d, &key, &best, &at);
          }
        }
        const int64_t o = (oy * g.ow + ox) * C + c0;
        V::Store(sel + o, best);
        V::StoreI(idx + o, at);
      }
    }
  }
};

// The attributes both operations share: epsilon and the pool's window and strides.
class PoolingOp : public OpKernel {
 public:
  explicit PoolingOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("epsilon", &epsilon_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("ksize", &ksize_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("strides", &strides_));
  }

 protected:
  // The geometry of input `x`; false (and `ctx` failed) if it is invalid.
  bool Prepare(OpKernelContext* ctx, const Tensor& x, Geometry* g) const {
    GeometryOf(ctx, x, ksize_, strides_, g);
    return ctx->status().ok();
  }

  float epsilon_;
  std::vector<int32_t> ksize_, strides_;
};

class BatchNormMaxPoolReluOp : public PoolingOp {
 public:
  using PoolingOp::PoolingOp;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    Geometry g;
    if (!Prepare(ctx, x, &g)) return;
    const int64_t C = g.c;
    for (int i : {1, 2}) {
      OP_REQUIRES(ctx, ctx->input(i).dims() == 1 && ctx->input(i).dim_size(0) == C,
                  InvalidArgument(i == 1 ? "`gamma`" : "`beta`", " must have shape [",
                                  C, "], got ", ctx->input(i).shape().DebugString()));
    }
    Tensor *y, *sel, *idx, *mean_out, *var_out;
    const TensorShape pooled_shape({g.n, g.oh, g.ow, C});
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, pooled_shape, &y));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, pooled_shape, &sel));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, pooled_shape, &idx));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, TensorShape({C}), &mean_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, TensorShape({C}), &var_out));
    const float* in = x.flat<float>().data();
    const float* gamma = ctx->input(1).flat<float>().data();
    const float* beta = ctx->input(2).flat<float>().data();
    float* so = sel->flat<float>().data();
    int32_t* io = idx->flat<int32_t>().data();
    std::vector<float> dir(C), shift(C, 0.f);
    for (int64_t c = 0; c < C; ++c) {
      dir[c] = gamma[c] > 0.f ? 1.f : (gamma[c] < 0.f ? -1.f : 0.f);
      if (g.n > 0) shift[c] = in[c];
    }
    const int64_t image = g.image(), pooled = g.pooled();
    std::vector<float> sums1(g.n * C), sums2(g.n * C);  // per image
    auto images = [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        const float* src = in + n * image;
        float* acc1 = sums1.data() + n * C;
        float* acc2 = sums2.data() + n * C;
        if (!g.tiled) {
          ForChannelBlocks(C, GeneralForward{{g, src, shift.data(), dir.data(), acc1,
                                              acc2, so + n * pooled, io + n * pooled}});
          continue;
        }
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            const int64_t o = n * pooled + (oy * g.ow + ox) * C;
            const ImageForward window{g,    src,    shift.data(), dir.data(),
                                      acc1, acc2, so + o,       io + o};
            ForChannelBlocks(C, TiledForward{window, oy * g.sh * g.w + ox * g.sw});
          }
        }
      }
    };
    auto* threads = ctx->device()->tensorflow_cpu_worker_threads();
    tensorflow::Shard(threads->num_threads, threads->workers, g.n, 4 * image, images);

    const double count = static_cast<double>(g.n * g.h * g.w);
    std::vector<float> scale(C);
    float* mean = mean_out->flat<float>().data();
    float* variance = var_out->flat<float>().data();
    for (int64_t c = 0; c < C; ++c) {
      double t1 = 0.0, t2 = 0.0;
      for (int64_t n = 0; n < g.n; ++n) {
        t1 += sums1[n * C + c];
        t2 += sums2[n * C + c];
      }
      // NaN for an empty batch (the layer then leaves its moving statistics alone).
      const double m1 = t1 / count;
      const double var = std::max(t2 / count - m1 * m1, 0.0);  // keeps a NaN
      const double m = shift[c] + m1;
      mean[c] = static_cast<float>(m);
      variance[c] = static_cast<float>(var);
      scale[c] = static_cast<float>(gamma[c] / std::sqrt(var + epsilon_));
    }
    float* yo = y->flat<float>().data();
    auto outputs = [&](int64_t begin, int64_t end) {
      for (int64_t j = begin * pooled; j < end * pooled; j += C) {
        for (int64_t c = 0; c < C; ++c) {
          // (x - mean) scale + beta as TensorFlow computes it; NaN gives 0, as
          // TensorFlow's Relu on a CPU does.
          yo[j + c] = std::max(0.f, (so[j + c] - mean[c]) * scale[c] + beta[c]);
        }
      }
    };
    tensorflow::Shard(threads->num_threads, threads->workers, g.n, 2 * pooled, outputs);
  }
};

// Per image: the sums of g and g (selected - mean) per channel over pooled values.
struct GradSums {
  int64_t channels, begin, end;
  const float *dy, *y, *sel, *mean;
  float *acc1, *acc2;
  template <int L>
  void operator()(int64_t c0) const {
    using V = Lanes<L>;
    using F = typename V::F;
    F a = F{}, b = F{};
    const F m = V::Load(mean + c0);
    for (int64_t q = begin + c0; q < end; q += channels) {
      const F d = V::Load(y + q) > F{} ? V::Load(dy + q) : F{};
      a += d;
      b += d * (V::Load(sel + q) - m);
    }
    V::Store(acc1 + c0, a);
    V::Store(acc2 + c0, b);
  }
};

// One tiled window: dx = k0 + k1 (x - mean), plus kg dy at the selected element
// (y > 0).
struct TiledGrad {
  const Geometry& g;
  const float *k0, *k1, *kg, *mean, *dy, *y;
  const int32_t* idx;
  int64_t p0;
  const float* __restrict src;
  float* __restrict dst;
  template <int L>
  void operator()(int64_t c0) const {
    using V = Lanes<L>;
    using F = typename V::F;
    using I = typename V::I;
    const int64_t C = g.c;
    const F a0 = V::Load(k0 + c0), a1 = V::Load(k1 + c0), m = V::Load(mean + c0);
    const F gd = V::Load(y + c0) > F{} ? V::Load(dy + c0) * V::Load(kg + c0) : F{};
    const I at = V::LoadI(idx + c0);
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t q = p0 + ky * g.w + kx;
        const I hit = at == (I{} + static_cast<int32_t>(q));
        const F v = a0 + a1 * (V::Load(src + q * C + c0) - m);
        V::Store(dst + q * C + c0, v + (hit ? gd : F{}));
      }
    }
  }
};

// One image, any windows: dx = k0 + k1 (x - mean) everywhere (the picks are added
// after).
struct AffineGrad {
  int64_t channels, image;
  const float *k0, *k1, *mean;
  const float* __restrict src;
  float* __restrict dst;
  template <int L>
  void operator()(int64_t c0) const {
    using V = Lanes<L>;
    using F = typename V::F;
    const F a0 = V::Load(k0 + c0), a1 = V::Load(k1 + c0), m = V::Load(mean + c0);
    for (int64_t q = c0; q < image; q += channels) {
      V::Store(dst + q, a0 + a1 * (V::Load(src + q) - m));
    }
  }
};

class BatchNormMaxPoolReluGradOp : public PoolingOp {
 public:
  using PoolingOp::PoolingOp;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(4);
    Geometry g;
    if (!Prepare(ctx, x, &g)) return;
    const int64_t C = g.c;
    const TensorShape pooled_shape({g.n, g.oh, g.ow, C});
    for (int i : {0, 1, 2, 3}) {
      OP_REQUIRES(ctx, ctx->input(i).shape() == pooled_shape,
                  InvalidArgument("input ", i, " must have shape ",
                                  pooled_shape.DebugString(), ", got ",
                                  ctx->input(i).shape().DebugString()));
    }
    for (int i : {5, 6, 7}) {
      OP_REQUIRES(ctx, ctx->input(i).dims() == 1 && ctx->input(i).dim_size(0) == C,
                  InvalidArgument("input ", i, " must have shape [", C, "], got ",
                                  ctx->input(i).shape().DebugString()));
    }
    Tensor *dx, *dgamma_out, *dbeta_out;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &dx));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({C}), &dgamma_out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, TensorShape({C}), &dbeta_out));
    const float* dy = ctx->input(0).flat<float>().data();
    const float* y = ctx->input(1).flat<float>().data();
    const float* sel = ctx->input(2).flat<float>().data();
    const int32_t* idx = ctx->input(3).flat<int32_t>().data();
    const float* xs = x.flat<float>().data();
    const float* gamma = ctx->input(5).flat<float>().data();
    const float* mean = ctx->input(6).flat<float>().data();
    const float* variance = ctx->input(7).flat<float>().data();
    float* dxs = dx->flat<float>().data();
    const int64_t image = g.image(), pooled = g.pooled();
    auto* threads = ctx->device()->tensorflow_cpu_worker_threads();

    // dbeta and dgamma (times sqrt(variance + epsilon)) per image, from the pooled
    // values.
    std::vector<float> sums1(g.n * C), sums2(g.n * C);
    auto reduce = [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        ForChannelBlocks(C, GradSums{C, n * pooled, (n + 1) * pooled, dy, y, sel, mean,
                                     sums1.data() + n * C, sums2.data() + n * C});
      }
    };
    tensorflow::Shard(threads->num_threads, threads->workers, g.n, 4 * pooled, reduce);

    // dx = k0 + k1 (x - mean), plus kg g at the selected elements.
    const double count = static_cast<double>(g.n * g.h * g.w);
    std::vector<float> k0(C), k1(C), kg(C);
    float* dgamma = dgamma_out->flat<float>().data();
    float* dbeta = dbeta_out->flat<float>().data();
    for (int64_t c = 0; c < C; ++c) {
      double sb = 0.0, sg = 0.0;
      for (int64_t n = 0; n < g.n; ++n) {
        sb += sums1[n * C + c];
        sg += sums2[n * C + c];
      }
      const double inv = 1.0 / std::sqrt(static_cast<double>(variance[c]) + epsilon_);
      const double dg = sg * inv;
      dbeta[c] = static_cast<float>(sb);
      dgamma[c] = static_cast<float>(dg);
      const double gi = gamma[c] * inv;
      kg[c] = static_cast<float>(gi);
      k1[c] = static_cast<float>(-gi * inv * dg / count);
      k0[c] = static_cast<float>(-gi * sb / count);
    }
    if (!g.tiled) {  // the general path writes through `index`: check it first
      const int64_t positions = g.h * g.w;
      const bool inside = std::all_of(idx, idx + g.n * pooled, [&](int32_t at) {
        return at >= 0 && at < positions;
      });
      OP_REQUIRES(ctx, inside,
                  InvalidArgument("`index` must hold positions in [0, ", positions,
                                  ") of the map, as the forward operation returns"));
    }
    auto images = [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        const float* __restrict src = xs + n * image;
        float* __restrict dst = dxs + n * image;
        const int64_t base = n * pooled;
        if (g.tiled) {
          for (int64_t oy = 0; oy < g.oh; ++oy) {
            for (int64_t ox = 0; ox < g.ow; ++ox) {
              const int64_t o = base + (oy * g.ow + ox) * C;
              ForChannelBlocks(C, TiledGrad{g, k0.data(), k1.data(), kg.data(), mean,
                                            dy + o, y + o, idx + o,
                                            oy * g.sh * g.w + ox * g.sw, src, dst});
            }
          }
          continue;
        }
        ForChannelBlocks(C, AffineGrad{C, image, k0.data(), k1.data(), mean, src, dst});
        for (int64_t q = base; q < base + pooled; q += C) {  // windows may overlap
          for (int64_t c = 0; c < C; ++c) {
            if (y[q + c] > 0.f) dst[int64_t{idx[q + c]} * C + c] += kg[c] * dy[q + c];
          }
        }
      }
    };
    tensorflow::Shard(threads->num_threads, threads->workers, g.n, 3 * image, images);
  }
};

}  // namespace
}  // namespace larq_ber

namespace {

absl::Status PooledShape(tensorflow::shape_inference::InferenceContext* c,
                         int input) {
  using tensorflow::shape_inference::DimensionHandle;
  using tensorflow::shape_inference::ShapeHandle;
  ShapeHandle x;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(input), 4, &x));
  std::vector<int32_t> ksize, strides;
  TF_RETURN_IF_ERROR(c->GetAttr("ksize", &ksize));
  TF_RETURN_IF_ERROR(c->GetAttr("strides", &strides));
  if (ksize.size() != 2 || strides.size() != 2) {
    return tensorflow::errors::InvalidArgument(
        "`ksize` and `strides` must hold 2 values each");
  }
  DimensionHandle dims[2];
  for (int i = 0; i < 2; ++i) {
    const DimensionHandle size = c->Dim(x, i + 1);
    if (!c->ValueKnown(size)) {
      dims[i] = c->UnknownDim();
      continue;
    }
    if (ksize[i] <= 0 || strides[i] <= 0 || c->Value(size) < ksize[i]) {
      return tensorflow::errors::InvalidArgument(
          "the pool window must be positive and fit the map");
    }
    dims[i] = c->MakeDim((c->Value(size) - ksize[i]) / strides[i] + 1);
  }
  ShapeHandle pooled = c->MakeShape({c->Dim(x, 0), dims[0], dims[1], c->Dim(x, 3)});
  ShapeHandle channels = c->Vector(c->Dim(x, 3));
  if (input == 0) {
    for (int i = 0; i < 3; ++i) c->set_output(i, pooled);
    c->set_output(3, channels);
    c->set_output(4, channels);
  } else {
    c->set_output(0, x);
    c->set_output(1, channels);
    c->set_output(2, channels);
  }
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("LarqBerBatchNormMaxPoolRelu")
    .Input("x: float")
    .Input("gamma: float")
    .Input("beta: float")
    .Attr("epsilon: float")
    .Attr("ksize: list(int)")
    .Attr("strides: list(int)")
    .Output("y: float")
    .Output("selected: float")
    .Output("index: int32")
    .Output("mean: float")
    .Output("variance: float")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      return PooledShape(c, 0);
    })
    .Doc(R"doc(
relu(maxpool(batchnorm(x))) with the batch's statistics (training), VALID pool.
)doc");

REGISTER_KERNEL_BUILDER(
    Name("LarqBerBatchNormMaxPoolRelu").Device(tensorflow::DEVICE_CPU),
    larq_ber::BatchNormMaxPoolReluOp);

REGISTER_OP("LarqBerBatchNormMaxPoolReluGrad")
    .Input("dy: float")
    .Input("y: float")
    .Input("selected: float")
    .Input("index: int32")
    .Input("x: float")
    .Input("gamma: float")
    .Input("mean: float")
    .Input("variance: float")
    .Attr("epsilon: float")
    .Attr("ksize: list(int)")
    .Attr("strides: list(int)")
    .Output("dx: float")
    .Output("dgamma: float")
    .Output("dbeta: float")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      return PooledShape(c, 4);
    })
    .Doc(R"doc(
The gradient of LarqBerBatchNormMaxPoolRelu with respect to x, gamma and beta.
)doc");

REGISTER_KERNEL_BUILDER(
    Name("LarqBerBatchNormMaxPoolReluGrad").Device(tensorflow::DEVICE_CPU),
    larq_ber::BatchNormMaxPoolReluGradOp);
