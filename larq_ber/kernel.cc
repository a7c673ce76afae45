// larq-ber's optional CPU kernel: the sign of a tensor with bit errors, in one pass.
//
// LarqBerSign(x, rates, key) = sign(x) (sign(0) = +1) in which every -1 becomes +1
// with probability rates[0] and every +1 becomes -1 with probability rates[1],
// independently per element; NaN stays NaN (larq's sign of NaN).
// `larq_ber.kernel.build()` compiles this file against the installed TensorFlow;
// `larq_ber.flips.ber_sign` uses it on CPUs when built (and verified).
//
// Random numbers: Philox4x32-10 (Salmon et al., SC'11), the generator TensorFlow's
// stateless random ops use, keyed by key[0] (64 bits). Element i reads byte i % 16 of
// block i / 16 of the stream whose upper counter half is 2 * key[1]; with
// q = 256 p, k = min(floor(q), 255) it flips if byte < k, and if byte == k (chance
// 1/256) it flips if a 53-bit uniform from the stream 2 * key[1] + 1 (block i) is
// below (q - k) 2^53. So P(flip) = k / 256 + (q - k) / 256 = p up to 2^-61, and the
// output depends only on (x, rates, key), not on threads. `tests/test_kernel.py`
// recomputes it bit for bit in numpy.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
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

constexpr uint32_t kMul0 = 0xD2511F53u;
constexpr uint32_t kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u;
constexpr uint32_t kWeyl1 = 0xBB67AE85u;

// One Philox4x32-10 block: counter (c0, c1, c2, c3), key (k0, k1) -> out[4].
inline void PhiloxBlock(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                        uint32_t k0, uint32_t k1, uint32_t* out) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t{kMul0} * c0;
    const uint64_t p1 = uint64_t{kMul1} * c2;
    const uint32_t y0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t y2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = y0;
    c2 = y2;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// Blocks first, first + 1, ..., first + 7 of one stream (counter words 2 and 3 =
// stream) into out[32], block after block.
inline void PhiloxBlocks8(uint64_t first, uint64_t stream, uint32_t k0, uint32_t k1,
                          uint32_t* out) {
#if defined(__AVX2__)
  alignas(32) uint32_t lo[8], hi[8];
  for (int lane = 0; lane < 8; ++lane) {
    const uint64_t counter = first + lane;
    lo[lane] = static_cast<uint32_t>(counter);
    hi[lane] = static_cast<uint32_t>(counter >> 32);
  }
  __m256i x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
  __m256i x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
  __m256i x2 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream)));
  __m256i x3 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream >> 32)));
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kMul0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kMul1));
  // 32 x 32 -> 64-bit products of 8 lanes: even lanes, then odd lanes shifted down.
  auto mulhilo = [](__m256i a, __m256i m, __m256i* high, __m256i* low) {
    const __m256i even = _mm256_mul_epu32(a, m);
    const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *low = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *high = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  };
  for (int round = 0; round < 10; ++round) {
    __m256i high0, low0, high1, low1;
    mulhilo(x0, m0, &high0, &low0);
    mulhilo(x2, m1, &high1, &low1);
    const __m256i key0 = _mm256_set1_epi32(static_cast<int>(k0));
    const __m256i key1 = _mm256_set1_epi32(static_cast<int>(k1));
    x0 = _mm256_xor_si256(_mm256_xor_si256(high1, x1), key0);
    x2 = _mm256_xor_si256(_mm256_xor_si256(high0, x3), key1);
    x1 = low1;
    x3 = low0;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  // Transpose lanes x words into block-major order.
  const __m256i a = _mm256_unpacklo_epi32(x0, x1), b = _mm256_unpackhi_epi32(x0, x1);
  const __m256i c = _mm256_unpacklo_epi32(x2, x3), d = _mm256_unpackhi_epi32(x2, x3);
  const __m256i e = _mm256_unpacklo_epi64(a, c), f = _mm256_unpackhi_epi64(a, c);
  const __m256i g = _mm256_unpacklo_epi64(b, d), h = _mm256_unpackhi_epi64(b, d);
  auto* dst = reinterpret_cast<__m256i*>(out);
  _mm256_storeu_si256(dst + 0, _mm256_permute2x128_si256(e, f, 0x20));
  _mm256_storeu_si256(dst + 1, _mm256_permute2x128_si256(g, h, 0x20));
  _mm256_storeu_si256(dst + 2, _mm256_permute2x128_si256(e, f, 0x31));
  _mm256_storeu_si256(dst + 3, _mm256_permute2x128_si256(g, h, 0x31));
#else
  for (int block = 0; block < 8; ++block) {
    const uint64_t counter = first + block;
    PhiloxBlock(static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32),
                static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32), k0,
                k1, out + 4 * block);
  }
#endif
}

// Flip threshold of one sign: byte < k flips; byte == k flips where a 53-bit
// uniform is below frac53.
struct Level {
  uint32_t k;
  double frac53;
};

Level LevelOf(float rate) {
  double p = static_cast<double>(rate);
  p = p > 0.0 ? std::min(p, 1.0) : 0.0;  // NaN and negative rates flip nothing
  const double q = p * 256.0;
  const double k = std::min(std::floor(q), 255.0);
  return {static_cast<uint32_t>(k), (q - k) * 9007199254740992.0};  // 2^53
}

// Elements per unit of work: 64 Philox blocks of 16 bytes.
constexpr int64_t kGroup = 1024;

// The bits of 1.0f; setting bit 31 makes it -1.0f.
constexpr uint32_t kPlusOne = 0x3F800000u;

// dst[j] = sign(src[j]), flipped where bytes[j] < the level of its sign, and NaN
// (src[j] itself) where src[j] is NaN, as larq's sign; tie[j] = 1 where bytes[j]
// equals that level and src[j] is not NaN (those elements need a finer draw). No
// branches: the compiler vectorizes it. Returns nonzero if there is a tie.
uint32_t SignsWithFlips(const float* __restrict src, const uint8_t* __restrict bytes,
                        int64_t count, uint32_t level_neg, uint32_t level_pos,
                        uint32_t* __restrict dst, uint8_t* __restrict tie) {
  uint32_t ties = 0;
  for (int64_t j = 0; j < count; ++j) {
    const uint32_t negative = src[j] < 0.0f;
    const uint32_t nan = src[j] != src[j];
    const uint32_t level = negative ? level_neg : level_pos;
    const uint32_t byte = bytes[j];
    const uint32_t equal = (byte == level) & (nan ^ 1u);
    tie[j] = static_cast<uint8_t>(equal);
    ties |= equal;
    const uint32_t sign = kPlusOne | ((negative ^ (byte < level)) << 31);
    uint32_t bits;
    std::memcpy(&bits, src + j, sizeof bits);
    const uint32_t keep = 0u - nan;  // all ones where NaN
    dst[j] = (sign & ~keep) | (bits & keep);
  }
  return ties;
}

class LarqBerSignOp : public OpKernel {
 public:
  explicit LarqBerSignOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& rates = ctx->input(1);
    const Tensor& key = ctx->input(2);
    OP_REQUIRES(ctx, rates.NumElements() == 2,
                tensorflow::errors::InvalidArgument(
                    "`rates` must hold 2 values (ber_neg, ber_pos), got ",
                    rates.NumElements()));
    OP_REQUIRES(ctx, key.NumElements() == 2,
                tensorflow::errors::InvalidArgument("`key` must hold 2 values, got ",
                                                    key.NumElements()));
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &y));
    const float* in = x.flat<float>().data();
    uint32_t* out = reinterpret_cast<uint32_t*>(y->flat<float>().data());
    const int64_t n = x.NumElements();
    const Level neg = LevelOf(rates.flat<float>()(0));
    const Level pos = LevelOf(rates.flat<float>()(1));
    const uint64_t philox_key = static_cast<uint64_t>(key.flat<int64_t>()(0));
    const uint32_t k0 = static_cast<uint32_t>(philox_key);
    const uint32_t k1 = static_cast<uint32_t>(philox_key >> 32);
    const uint64_t bytes_stream = static_cast<uint64_t>(key.flat<int64_t>()(1)) * 2;
    const uint64_t rest_stream = bytes_stream + 1;
    const bool rest = neg.frac53 > 0.0 || pos.frac53 > 0.0;

    auto work = [&](int64_t begin, int64_t end) {
      alignas(32) uint32_t words[kGroup / 4];
      alignas(32) uint8_t tie[kGroup];
      for (int64_t group = begin; group < end; ++group) {
        const int64_t start = group * kGroup;
        const int64_t count = std::min(kGroup, n - start);
        for (int64_t part = 0; part < kGroup / 128; ++part) {
          PhiloxBlocks8(static_cast<uint64_t>(start / 16 + 8 * part), bytes_stream, k0,
                        k1, words + 32 * part);
        }
        const uint8_t* bytes = reinterpret_cast<const uint8_t*>(words);
        const float* src = in + start;
        uint32_t* dst = out + start;
        const uint32_t ties =
            SignsWithFlips(src, bytes, count, neg.k, pos.k, dst, tie);
        if (!(ties && rest)) continue;
        // The 1/256 of bytes equal to their level: found with memchr.
        for (const void* hit = std::memchr(tie, 1, count); hit != nullptr;) {
          const int64_t j = static_cast<const uint8_t*>(hit) - tie;
          hit = j + 1 < count ? std::memchr(tie + j + 1, 1, count - j - 1) : nullptr;
          const bool negative = src[j] < 0.0f;
          const Level& level = negative ? neg : pos;
          if (level.frac53 <= 0.0) continue;
          const uint64_t element = static_cast<uint64_t>(start + j);
          uint32_t draw[4];
          PhiloxBlock(static_cast<uint32_t>(element),
                      static_cast<uint32_t>(element >> 32),
                      static_cast<uint32_t>(rest_stream),
                      static_cast<uint32_t>(rest_stream >> 32), k0, k1, draw);
          const uint64_t bits53 = ((uint64_t{draw[0]} << 32) | draw[1]) >> 11;
          const uint32_t flip = static_cast<double>(bits53) < level.frac53;
          dst[j] = kPlusOne | ((static_cast<uint32_t>(negative) ^ flip) << 31);
        }
      }
    };
    const int64_t groups = (n + kGroup - 1) / kGroup;
    auto* threads = ctx->device()->tensorflow_cpu_worker_threads();
    // Cost per group in cycles (Philox and one pass over 1,024 floats): ~12,000.
    tensorflow::Shard(threads->num_threads, threads->workers, groups, 12000, work);
  }
};

}  // namespace
}  // namespace larq_ber

REGISTER_OP("LarqBerSign")
    .Input("x: float")
    .Input("rates: float")
    .Input("key: int64")
    .Output("y: float")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      return absl::OkStatus();
    })
    .Doc(R"doc(
sign(x) with independent bit errors: -1 -> +1 at rates[0], +1 -> -1 at rates[1].
NaN stays NaN.
)doc");

REGISTER_KERNEL_BUILDER(Name("LarqBerSign").Device(tensorflow::DEVICE_CPU),
                        larq_ber::LarqBerSignOp);
