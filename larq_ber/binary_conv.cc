// larq-ber's optional CPU kernel, third part: a binary convolution on bit-packed
// operands (XNOR and popcount), for inference under errors.
//
// LarqBerBinaryConv2d(x, kernel) for x of shape [N, H, W, C] (NHWC), the latent
// float kernel of shape [KH, KW, C, O] (HWIO), VALID padding and strides [sh, sw]:
//   y[n, i, j, o] = scale[o] * sum_{u, v, c} s(x[n, i sh + u, j sw + v, c]) s(kernel[u, v, c, o])
// with s(t) = -1 where t < 0 and +1 elsewhere (larq's `ste_sign`: s(0) = +1), and
// scale[o] = 1, or mean_{u, v, c} |kernel[u, v, c, o]| with `magnitude` (larq's
// `MagnitudeAwareSign`). Each input pixel's C signs and each filter's K = KH KW C
// signs become bits (1 for -1); a patch's bits are its taps' bits one after the
// other, so the sum is K - 2 popcount(patch XOR filter), an integer that the
// scale multiplies once (a float convolution of +-scale values rounds at every
// addition instead: the two agree to a few units in the last place).
//
// Blocks of 8 patches are stored word-major ([word][patch]), so that one filter
// word XORed with 8 patches' words is one 512-bit operation where the CPU has
// AVX-512 VPOPCNTDQ (chosen at run time), or 8 scalar popcounts elsewhere.
// `larq_ber.binary_conv` uses it inside `larq_ber.errors.activation_errors`
// blocks; tests/test_binary_conv.py checks it against TensorFlow's convolution.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define LARQ_BER_X86 1
#endif

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
using u64 = uint64_t;

constexpr int kLanes = 8;  // patches per block

// ORs the 64 bits of `bits` into dst at bit offset `offset` (dst has a spare word).
inline void InsertBits(u64* dst, int64_t offset, u64 bits) {
  const int64_t word = offset >> 6;
  const int shift = static_cast<int>(offset & 63);
  dst[word] |= bits << shift;
  if (shift) dst[word + 1] |= bits >> (64 - shift);
}

// The sign bits (1 where value < 0) of `count` <= 64 floats.
inline u64 SignBits(const float* p, int64_t count) {
  u64 bits = 0;
  int64_t c = 0;
#ifdef __AVX2__
  const __m256 zero = _mm256_setzero_ps();
  for (; c + 8 <= count; c += 8) {
    const __m256 less = _mm256_cmp_ps(_mm256_loadu_ps(p + c), zero, _CMP_LT_OQ);
    bits |= static_cast<u64>(_mm256_movemask_ps(less)) << c;
  }
#endif
  for (; c < count; ++c) bits |= static_cast<u64>(p[c] < 0.0f) << c;
  return bits;
}

// pop[lane * O + o] = sum_j popcount(block[j][lane] ^ filters[o][j]).
void PopcountsPortable(const u64* block, const u64* filters, int64_t words,
                       int64_t filter_count, int32_t* pop) {
  for (int64_t o = 0; o < filter_count; ++o) {
    const u64* f = filters + o * words;
    int32_t acc[kLanes] = {0};
    for (int64_t j = 0; j < words; ++j) {
      for (int l = 0; l < kLanes; ++l) {
        acc[l] += __builtin_popcountll(block[j * kLanes + l] ^ f[j]);
      }
    }
    for (int l = 0; l < kLanes; ++l) pop[l * filter_count + o] = acc[l];
  }
}

#ifdef LARQ_BER_X86
__attribute__((target("avx512f,avx512vpopcntdq"))) void PopcountsAvx512(
    const u64* block, const u64* filters, int64_t words, int64_t filter_count,
    int32_t* pop) {
  for (int64_t o = 0; o < filter_count; ++o) {
    const u64* f = filters + o * words;
    __m512i acc = _mm512_setzero_si512();
    for (int64_t j = 0; j < words; ++j) {
      const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(block + j * kLanes),
                                         _mm512_set1_epi64(static_cast<long long>(f[j])));
      acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
    }
    alignas(64) int64_t lanes[kLanes];
    _mm512_store_si512(lanes, acc);
    for (int l = 0; l < kLanes; ++l) {
      pop[l * filter_count + o] = static_cast<int32_t>(lanes[l]);
    }
  }
}

bool HasAvx512Popcount() {
  static const bool has = __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512vpopcntdq");
  return has;
}
#endif

using PopcountFn = void (*)(const u64*, const u64*, int64_t, int64_t, int32_t*);

// The AVX-512 path where the CPU has it, unless LARQ_BER_PORTABLE_POPCOUNT=1 (the
// tests' way to check the portable path on such a CPU).
PopcountFn ChoosePopcounts() {
#ifdef LARQ_BER_X86
  const char* portable = std::getenv("LARQ_BER_PORTABLE_POPCOUNT");
  const bool forced = portable != nullptr && std::strcmp(portable, "1") == 0;
  if (HasAvx512Popcount() && !forced) return PopcountsAvx512;
#endif
  return PopcountsPortable;
}

struct ConvGeometry {
  int64_t n, h, w, c, kh, kw, o, sh, sw, oh, ow;
  int64_t K() const { return kh * kw * c; }
  int64_t Words() const { return (K() + 63) / 64; }     // per patch
  int64_t PixelWords() const { return (c + 63) / 64; }  // per input pixel
};

class BinaryConv2dOp : public OpKernel {
 public:
  explicit BinaryConv2dOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    std::vector<int32_t> strides;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("strides", &strides));
    OP_REQUIRES(ctx, strides.size() == 2 && strides[0] > 0 && strides[1] > 0,
                InvalidArgument("`strides` must hold 2 positive values"));
    sh_ = strides[0];
    sw_ = strides[1];
    OP_REQUIRES_OK(ctx, ctx->GetAttr("magnitude", &magnitude_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& kernel = ctx->input(1);
    OP_REQUIRES(ctx, x.dims() == 4,
                InvalidArgument("`x` must be [batch, height, width, channels], got ",
                                x.shape().DebugString()));
    OP_REQUIRES(ctx, kernel.dims() == 4,
                InvalidArgument("`kernel` must be [height, width, in, out], got ",
                                kernel.shape().DebugString()));
    ConvGeometry g{x.dim_size(0), x.dim_size(1), x.dim_size(2), x.dim_size(3),
                   kernel.dim_size(0), kernel.dim_size(1), kernel.dim_size(3),
                   sh_, sw_, 0, 0};
    OP_REQUIRES(ctx, kernel.dim_size(2) == g.c,
                InvalidArgument("`kernel` has ", kernel.dim_size(2),
                                " input channels, `x` has ", g.c));
    OP_REQUIRES(ctx, g.kh > 0 && g.kw > 0 && g.c > 0 && g.kh <= g.h && g.kw <= g.w,
                InvalidArgument("`kernel` ", kernel.shape().DebugString(),
                                " must be non-empty and fit `x` ",
                                x.shape().DebugString()));
    OP_REQUIRES(ctx, g.K() < (int64_t{1} << 24),
                InvalidArgument("a filter holds ", g.K(), " weights; at most 2^24 - 1"));
    g.oh = (g.h - g.kh) / g.sh + 1;
    g.ow = (g.w - g.kw) / g.sw + 1;
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({g.n, g.oh, g.ow, g.o}), &y));
    if (y->NumElements() == 0) return;
    auto* threads = ctx->device()->tensorflow_cpu_worker_threads();
    const float* w = kernel.flat<float>().data();
    std::vector<u64> filters(g.o * g.Words());
    std::vector<float> scale(g.o, 1.0f);
    PackFilters(g, w, threads, filters.data());
    if (magnitude_) MeanMagnitudes(g, w, scale.data());
    std::vector<u64> pixels(g.n * g.h * g.w * g.PixelWords());
    PackPixels(g, x.flat<float>().data(), threads, pixels.data());
    Convolve(g, pixels.data(), filters.data(), scale.data(), threads,
             y->flat<float>().data());
  }

 private:
  using Threads = tensorflow::DeviceBase::CpuWorkerThreads;

  // filters[o][word]: bit t of filter o is kernel row t (t = (u KW + v) C + c) < 0.
  static void PackFilters(const ConvGeometry& g, const float* w, const Threads* threads,
                          u64* filters) {
    const int64_t words = g.Words(), rows = g.K(), out = g.o;
    auto work = [&](int64_t begin, int64_t end) {
      std::vector<u64> acc(out);
      for (int64_t word = begin; word < end; ++word) {
        std::fill(acc.begin(), acc.end(), 0);
        const int64_t last = std::min(rows, 64 * word + 64);
        for (int64_t t = 64 * word; t < last; ++t) {
          const float* row = w + t * out;
          const int shift = static_cast<int>(t & 63);
          for (int64_t o = 0; o < out; ++o) {
            acc[o] |= static_cast<u64>(row[o] < 0.0f) << shift;
          }
        }
        for (int64_t o = 0; o < out; ++o) filters[o * words + word] = acc[o];
      }
    };
    tensorflow::Shard(threads->num_threads, threads->workers, words, 64 * out * 2, work);
  }

  // scale[o] = mean |kernel[..., o]|, summed in double precision.
  static void MeanMagnitudes(const ConvGeometry& g, const float* w, float* scale) {
    std::vector<double> sum(g.o, 0.0);
    for (int64_t t = 0; t < g.K(); ++t) {
      const float* row = w + t * g.o;
      for (int64_t o = 0; o < g.o; ++o) sum[o] += std::fabs(row[o]);
    }
    for (int64_t o = 0; o < g.o; ++o) {
      scale[o] = static_cast<float>(sum[o] / static_cast<double>(g.K()));
    }
  }

  // pixels[pixel][word]: bit c of a pixel is x[pixel, c] < 0.
  static void PackPixels(const ConvGeometry& g, const float* x, const Threads* threads,
                         u64* pixels) {
    const int64_t words = g.PixelWords();
    auto work = [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        for (int64_t word = 0; word < words; ++word) {
          const int64_t first = 64 * word;
          pixels[p * words + word] =
              SignBits(x + p * g.c + first, std::min<int64_t>(64, g.c - first));
        }
      }
    };
    tensorflow::Shard(threads->num_threads, threads->workers, g.n * g.h * g.w,
                      2 * g.c + 8, work);
  }

  // Patches in blocks of kLanes: gather their bits, count, scale, write.
  static void Convolve(const ConvGeometry& g, const u64* pixels, const u64* filters,
                       const float* scale, const Threads* threads, float* y) {
    const int64_t patches = g.n * g.oh * g.ow, words = g.Words();
    const int64_t pixel_words = g.PixelWords(), K = g.K();
    const PopcountFn popcounts = ChoosePopcounts();
    auto work = [&](int64_t begin, int64_t end) {
      std::vector<u64> block(words * kLanes), patch(words + 1);
      std::vector<int32_t> pop(kLanes * g.o);
      for (int64_t b = begin; b < end; ++b) {
        const int64_t first = b * kLanes;
        const int lanes = static_cast<int>(std::min<int64_t>(kLanes, patches - first));
        std::fill(block.begin(), block.end(), 0);
        for (int l = 0; l < lanes; ++l) {
          const int64_t p = first + l, j = p % g.ow, i = (p / g.ow) % g.oh;
          const int64_t n = p / (g.ow * g.oh);
          std::fill(patch.begin(), patch.end(), 0);
          for (int64_t u = 0; u < g.kh; ++u) {
            const u64* row = pixels + ((n * g.h + i * g.sh + u) * g.w + j * g.sw) *
                                          pixel_words;
            for (int64_t v = 0; v < g.kw; ++v) {
              const int64_t offset = (u * g.kw + v) * g.c;
              for (int64_t word = 0; word < pixel_words; ++word) {
                InsertBits(patch.data(), offset + 64 * word,
                           row[v * pixel_words + word]);
              }
            }
          }
          for (int64_t word = 0; word < words; ++word) {
            block[word * kLanes + l] = patch[word];
          }
        }
        popcounts(block.data(), filters, words, g.o, pop.data());
        for (int l = 0; l < lanes; ++l) {
          float* out = y + (first + l) * g.o;
          const int32_t* counts = pop.data() + l * g.o;
          for (int64_t o = 0; o < g.o; ++o) {
            out[o] = scale[o] * static_cast<float>(K - 2 * counts[o]);
          }
        }
      }
    };
    const int64_t blocks = (patches + kLanes - 1) / kLanes;
    const int64_t cost = kLanes * (g.kh * g.kw * pixel_words * 4 + g.o * (words + 2));
    tensorflow::Shard(threads->num_threads, threads->workers, blocks, cost, work);
  }

  int64_t sh_ = 1, sw_ = 1;
  bool magnitude_ = false;
};

absl::Status ConvShape(tensorflow::shape_inference::InferenceContext* c) {
  using tensorflow::shape_inference::DimensionHandle;
  using tensorflow::shape_inference::ShapeHandle;
  ShapeHandle x, kernel;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 4, &x));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 4, &kernel));
  std::vector<int32_t> strides;
  TF_RETURN_IF_ERROR(c->GetAttr("strides", &strides));
  if (strides.size() != 2 || strides[0] <= 0 || strides[1] <= 0) {
    return InvalidArgument("`strides` must hold 2 positive values");
  }
  DimensionHandle dims[2];
  for (int i = 0; i < 2; ++i) {
    const DimensionHandle size = c->Dim(x, i + 1), taps = c->Dim(kernel, i);
    if (!c->ValueKnown(size) || !c->ValueKnown(taps)) {
      dims[i] = c->UnknownDim();
      continue;
    }
    if (c->Value(taps) <= 0 || c->Value(size) < c->Value(taps)) {
      return InvalidArgument("the kernel must be non-empty and fit `x`");
    }
    dims[i] = c->MakeDim((c->Value(size) - c->Value(taps)) / strides[i] + 1);
  }
  c->set_output(0, c->MakeShape({c->Dim(x, 0), dims[0], dims[1], c->Dim(kernel, 3)}));
  return absl::OkStatus();
}

}  // namespace
}  // namespace larq_ber

REGISTER_OP("LarqBerBinaryConv2d")
    .Input("x: float")
    .Input("kernel: float")
    .Attr("strides: list(int)")
    .Attr("magnitude: bool = false")
    .Output("y: float")
    .SetShapeFn(larq_ber::ConvShape)
    .Doc(R"doc(
VALID convolution of sign(x) with sign(kernel) (sign(0) = +1) on bit-packed operands,
times 1 or the kernel's mean magnitude per output channel (`magnitude`).
)doc");

REGISTER_KERNEL_BUILDER(Name("LarqBerBinaryConv2d").Device(tensorflow::DEVICE_CPU),
                        larq_ber::BinaryConv2dOp);
