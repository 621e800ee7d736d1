// Common Encryption of a fragment's mdat payload in place, with the OpenSSL inside node
// (its EVP functions are exported by the node binary; the headers ship with node's).
//
// cenc(payload, key, ivs, sampleSizes, start, subsamples, subsampleCounts) -> 0 | -1
//   AES-128-CTR, sample after sample: each sample's counter block is its 16 bytes of `ivs`
//   (the 8-byte IV, then a block counter from 0), the key stream running on across the
//   sample's protected ranges (ISO/IEC 23001-7 'cenc'). Its own inverse.
// cbcs(payload, key, ivs, sampleSizes, start, subsamples, subsampleCounts, crypt, skip, encrypt) -> 0 | -1
//   AES-128-CBC without padding on the pattern's blocks of each protected range (crypt
//   blocks, then skip; a last group shorter than crypt stays clear; crypt or skip 0: every
//   whole block), the chain starting from the sample's IV at each range ('cbcs').
//
// `subsamples` (Uint32Array of clear, protected pairs) and `subsampleCounts` (Uint16Array,
// pairs a sample) are both null for whole-sample encryption. The layout is checked
// whole before a byte changes: -1 means it does not fit the payload (the caller says why).
// This is the portable path of src/protect/encryptPayload.ts without its JavaScript
// loops: one EVP context a call, its IV reset per sample (CTR) or per range (CBC).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#include <openssl/evp.h>

typedef struct {
  uint8_t *data;
  size_t length; // elements
} view;

// A typed array argument of the given type (or null/undefined when `optional`).
static int typed(napi_env env, napi_value v, napi_typedarray_type want, int optional, view *out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (optional && (t == napi_null || t == napi_undefined)) {
    out->data = NULL;
    out->length = 0;
    return 1;
  }
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok || type != want) return 0;
  out->data = data;
  out->length = length;
  return 1;
}

typedef struct {
  view payload, key, ivs, sizes, subs, counts;
  uint32_t start;
  uint32_t crypt, skip;
  int encrypt;
} job;

static int read_job(napi_env env, napi_callback_info info, job *j, size_t want_argc) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want_argc) goto bad;
  if (!typed(env, argv[0], napi_uint8_array, 0, &j->payload)) goto bad;
  if (!typed(env, argv[1], napi_uint8_array, 0, &j->key) || j->key.length != 16) goto bad;
  if (!typed(env, argv[2], napi_uint8_array, 0, &j->ivs)) goto bad;
  if (!typed(env, argv[3], napi_uint32_array, 0, &j->sizes)) goto bad;
  if (napi_get_value_uint32(env, argv[4], &j->start) != napi_ok) goto bad;
  if (!typed(env, argv[5], napi_uint32_array, 1, &j->subs)) goto bad;
  if (!typed(env, argv[6], napi_uint16_array, 1, &j->counts)) goto bad;
  if ((j->subs.data == NULL) != (j->counts.data == NULL)) goto bad;
  j->crypt = j->skip = 0;
  j->encrypt = 1;
  if (want_argc == 10) {
    bool enc;
    if (napi_get_value_uint32(env, argv[7], &j->crypt) != napi_ok) goto bad;
    if (napi_get_value_uint32(env, argv[8], &j->skip) != napi_ok) goto bad;
    if (napi_get_value_bool(env, argv[9], &enc) != napi_ok) goto bad;
    j->encrypt = enc ? 1 : 0;
  }
  return 1;
bad:
  napi_throw_type_error(env, NULL, want_argc == 10
    ? "cbcs(payload, key, ivs, sampleSizes, start, subsamples|null, subsampleCounts|null, crypt, skip, encrypt): Uint8Array, 16-byte Uint8Array, Uint8Array, Uint32Array, number, Uint32Array, Uint16Array, number, number, boolean"
    : "cenc(payload, key, ivs, sampleSizes, start, subsamples|null, subsampleCounts|null): Uint8Array, 16-byte Uint8Array, Uint8Array, Uint32Array, number, Uint32Array, Uint16Array");
  return 0;
}

// Whether every sample and its ranges lie inside the payload and add up (nothing changed yet).
static int layout_fits(const job *j) {
  size_t n = j->sizes.length;
  if (j->ivs.length != 16 * n) return 0;
  const uint32_t *sizes = (const uint32_t *)j->sizes.data;
  const uint32_t *subs = (const uint32_t *)j->subs.data;
  const uint16_t *counts = (const uint16_t *)j->counts.data;
  if (counts != NULL && j->counts.length < n) return 0;
  uint64_t pos = j->start;
  size_t pair = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t size = sizes[i];
    if (pos + size > j->payload.length) return 0;
    if (counts != NULL) {
      uint64_t at = 0;
      for (size_t p = pair; p < pair + counts[i]; p++) {
        if (2 * p + 1 >= j->subs.length) return 0;
        at += (uint64_t)subs[2 * p] + subs[2 * p + 1];
      }
      pair += counts[i];
      if (at != size) return 0;
    }
    pos += size;
  }
  return 1;
}

// Calls `range(ctx, bytes, length, iv, j)` for each protected range, in order; 0 on an OpenSSL failure.
typedef int (*range_fn)(EVP_CIPHER_CTX *ctx, uint8_t *bytes, uint32_t length, const uint8_t *iv, int first_in_sample, const job *j);

static int each_range(EVP_CIPHER_CTX *ctx, const job *j, range_fn range) {
  size_t n = j->sizes.length;
  const uint32_t *sizes = (const uint32_t *)j->sizes.data;
  const uint32_t *subs = (const uint32_t *)j->subs.data;
  const uint16_t *counts = (const uint16_t *)j->counts.data;
  uint8_t *pos = j->payload.data + j->start;
  size_t pair = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *iv = j->ivs.data + 16 * i;
    if (counts == NULL) {
      if (sizes[i] > 0 && !range(ctx, pos, sizes[i], iv, 1, j)) return 0;
    } else {
      uint8_t *at = pos;
      int first = 1;
      for (size_t p = pair; p < pair + counts[i]; p++) {
        at += subs[2 * p];
        uint32_t prot = subs[2 * p + 1];
        if (prot > 0) {
          if (!range(ctx, at, prot, iv, first, j)) return 0;
          first = 0;
        }
        at += prot;
      }
      pair += counts[i];
    }
    pos += sizes[i];
  }
  return 1;
}

static int ctr_range(EVP_CIPHER_CTX *ctx, uint8_t *bytes, uint32_t length, const uint8_t *iv, int first_in_sample, const job *j) {
  (void)j;
  int out;
  // A sample's first range starts its key stream from its counter block; later ones run on.
  if (first_in_sample && !EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv)) return 0;
  return EVP_EncryptUpdate(ctx, bytes, &out, bytes, (int)length);
}

static int cbc_range(EVP_CIPHER_CTX *ctx, uint8_t *bytes, uint32_t length, const uint8_t *iv, int first_in_sample, const job *j) {
  (void)first_in_sample;
  uint32_t blocks = length >> 4;
  if (blocks == 0) return 1;
  int out;
  if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, j->encrypt)) return 0;
  if (j->crypt == 0 || j->skip == 0) return EVP_CipherUpdate(ctx, bytes, &out, bytes, (int)(16 * blocks));
  uint32_t period = j->crypt + j->skip;
  for (uint32_t b = 0; b + j->crypt <= blocks; b += period) {
    if (!EVP_CipherUpdate(ctx, bytes + 16 * b, &out, bytes + 16 * b, (int)(16 * j->crypt))) return 0;
  }
  return 1;
}

static napi_value run(napi_env env, const job *j, const EVP_CIPHER *cipher, range_fn range) {
  napi_value result;
  if (!layout_fits(j)) {
    napi_create_int32(env, -1, &result);
    return result;
  }
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int ok = ctx != NULL && EVP_CipherInit_ex(ctx, cipher, NULL, j->key.data, NULL, j->encrypt);
  if (ok) ok = EVP_CIPHER_CTX_set_padding(ctx, 0);
  if (ok) ok = each_range(ctx, j, range);
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) {
    napi_throw_error(env, "ECRYPTO", "OpenSSL failed to encrypt a fragment");
    return NULL;
  }
  napi_create_int32(env, 0, &result);
  return result;
}

static napi_value cenc_js(napi_env env, napi_callback_info info) {
  job j;
  if (!read_job(env, info, &j, 7)) return NULL;
  return run(env, &j, EVP_aes_128_ctr(), ctr_range);
}

static napi_value cbcs_js(napi_env env, napi_callback_info info) {
  job j;
  if (!read_job(env, info, &j, 10)) return NULL;
  return run(env, &j, EVP_aes_128_cbc(), cbc_range);
}

// ---------------------------------------------------------------------------------------
// avcSubsamples(payload, start, sampleSizes, nalLengthSize, cbcs, sps, pps, pairs, counts) -> pairs | -1 | -2
//   The clear/protected subsample pairs of a fragment's H.264 samples, as
//   src/protect/subsamples.ts (addVideoSubsamples) and src/protect/avcSliceHeader.ts
//   (avcSliceHeaderSize) lay them out: NAL length prefixes, NAL headers and slice headers
//   clear; the rest of a coded slice protected (cenc: whole 16-byte blocks only); clear
//   runs above 65535 bytes split. `sps` (Int32Array, SPS_FIELDS an id, 32 ids) and `pps`
//   (Int32Array, PPS_FIELDS an id, 256 ids) hold the fields the slice header syntax needs,
//   from the sample entry's parameter sets. Every read is bounds-checked against its NAL
//   unit. -1: anything the JavaScript path must handle or name (a NAL unit that does not
//   fit, a slice header that does not parse or names an unknown PPS/SPS, an SPS or PPS
//   inside a sample, more than 65535 pairs in a sample); -2: `pairs` is too small. The
//   caller then runs the JavaScript path, which gives the same pairs or the error.
enum { SPS_VALID, SPS_CHROMA_ARRAY_TYPE, SPS_SEPARATE_COLOUR_PLANE, SPS_LOG2_MAX_FRAME_NUM, SPS_POC_TYPE, SPS_LOG2_MAX_POC_LSB, SPS_DELTA_POC_ALWAYS_ZERO, SPS_FRAME_MBS_ONLY, SPS_FIELDS };
enum { PPS_VALID, PPS_SPS_ID, PPS_ENTROPY_CODING_MODE, PPS_BOTTOM_FIELD_POC_PRESENT, PPS_NUM_REF_IDX_L0, PPS_NUM_REF_IDX_L1, PPS_WEIGHTED_PRED, PPS_WEIGHTED_BIPRED_IDC, PPS_DEBLOCKING_CONTROL_PRESENT, PPS_REDUNDANT_PIC_CNT_PRESENT, PPS_FIELDS };
#define SPS_IDS 32
#define PPS_IDS 256

// Exp-Golomb bit reader over one NAL unit, skipping emulation prevention bytes (RbspReader).
typedef struct {
  const uint8_t *data;
  size_t length, pos;
  uint32_t cur;
  int left, zeros, failed;
} rbsp;

static int rbsp_load(rbsp *r) {
  if (r->pos >= r->length) return r->failed = 1, 0;
  uint8_t b = r->data[r->pos++];
  if (b == 3 && r->zeros >= 2) {
    if (r->pos >= r->length) return r->failed = 1, 0;
    b = r->data[r->pos++];
    r->zeros = 0;
  }
  r->zeros = b == 0 ? r->zeros + 1 : 0;
  r->cur = b;
  r->left = 8;
  return 1;
}

static uint32_t rbsp_bits(rbsp *r, int n) {
  uint32_t v = 0;
  while (n > 0) {
    if (r->left == 0 && !rbsp_load(r)) return 0;
    int take = n < r->left ? n : r->left;
    r->left -= take;
    v = (v << take) | ((r->cur >> r->left) & ((1u << take) - 1));
    n -= take;
  }
  return v;
}

static uint32_t rbsp_ue(rbsp *r) {
  int zeros = 0;
  for (;;) {
    if (r->left == 0 && !rbsp_load(r)) return 0;
    uint32_t rest = r->cur & ((1u << r->left) - 1);
    if (rest != 0) {
      int one = 31 - __builtin_clz(rest);
      zeros += r->left - 1 - one;
      r->left = one;
      break;
    }
    zeros += r->left;
    r->left = 0;
    if (zeros > 31) return r->failed = 1, 0;
  }
  if (zeros > 31) return r->failed = 1, 0;
  return (uint32_t)(((uint64_t)1 << zeros) - 1 + rbsp_bits(r, zeros));
}

static int skip_ref_pic_list_modification(rbsp *r) {
  if (!rbsp_bits(r, 1)) return !r->failed;
  for (int n = 0;; n++) {
    uint32_t idc = rbsp_ue(r);
    if (r->failed) return 0;
    if (idc == 3) return 1;
    if (idc > 5 || n > 64) return 0;
    rbsp_ue(r);
  }
}

// avcSliceHeaderSize: bytes after the NAL header through the slice header's last bit; -1 when it cannot be parsed.
static int64_t avc_slice_header_size(const uint8_t *nal, size_t length, const int32_t *spsTable, const int32_t *ppsTable) {
  enum { P = 0, B = 1, I = 2, SP = 3, SI = 4 };
  int nalType = nal[0] & 0x1f;
  int nalRefIdc = (nal[0] >> 5) & 3;
  rbsp r = { nal, length, 1, 0, 0, 0, 0 };
  rbsp_ue(&r); // first_mb_in_slice
  uint32_t sliceType = rbsp_ue(&r);
  if (r.failed || sliceType > 9) return -1;
  int type = (int)(sliceType % 5);
  uint32_t ppsId = rbsp_ue(&r);
  if (r.failed || ppsId >= PPS_IDS) return -1;
  const int32_t *pps = ppsTable + PPS_FIELDS * ppsId;
  if (!pps[PPS_VALID] || pps[PPS_SPS_ID] < 0 || pps[PPS_SPS_ID] >= SPS_IDS) return -1;
  const int32_t *sps = spsTable + SPS_FIELDS * pps[PPS_SPS_ID];
  if (!sps[SPS_VALID]) return -1;
  if (sps[SPS_SEPARATE_COLOUR_PLANE]) rbsp_bits(&r, 2);
  rbsp_bits(&r, sps[SPS_LOG2_MAX_FRAME_NUM]);
  int fieldPic = 0;
  if (!sps[SPS_FRAME_MBS_ONLY]) {
    fieldPic = (int)rbsp_bits(&r, 1);
    if (fieldPic) rbsp_bits(&r, 1);
  }
  if (nalType == 5) rbsp_ue(&r);
  if (sps[SPS_POC_TYPE] == 0) {
    rbsp_bits(&r, sps[SPS_LOG2_MAX_POC_LSB]);
    if (pps[PPS_BOTTOM_FIELD_POC_PRESENT] && !fieldPic) rbsp_ue(&r);
  }
  if (sps[SPS_POC_TYPE] == 1 && !sps[SPS_DELTA_POC_ALWAYS_ZERO]) {
    rbsp_ue(&r);
    if (pps[PPS_BOTTOM_FIELD_POC_PRESENT] && !fieldPic) rbsp_ue(&r);
  }
  if (pps[PPS_REDUNDANT_PIC_CNT_PRESENT]) rbsp_ue(&r);
  if (type == B) rbsp_bits(&r, 1);
  uint32_t l0 = (uint32_t)pps[PPS_NUM_REF_IDX_L0];
  uint32_t l1 = (uint32_t)pps[PPS_NUM_REF_IDX_L1];
  if ((type == P || type == SP || type == B) && rbsp_bits(&r, 1)) {
    l0 = rbsp_ue(&r);
    if (type == B) l1 = rbsp_ue(&r);
  }
  if (r.failed) return -1;
  uint32_t maxRefs = fieldPic ? 32 : 16;
  if (l0 >= maxRefs || l1 >= maxRefs) return -1;
  if (type != I && type != SI && !skip_ref_pic_list_modification(&r)) return -1;
  if (type == B && !skip_ref_pic_list_modification(&r)) return -1;
  if ((pps[PPS_WEIGHTED_PRED] && (type == P || type == SP)) || (pps[PPS_WEIGHTED_BIPRED_IDC] == 1 && type == B)) {
    rbsp_ue(&r);
    if (sps[SPS_CHROMA_ARRAY_TYPE] != 0) rbsp_ue(&r);
    for (int list = 0; list < (type == B ? 2 : 1); list++) {
      uint32_t count = list == 0 ? l0 : l1;
      for (uint32_t i = 0; i <= count && !r.failed; i++) {
        if (rbsp_bits(&r, 1)) {
          rbsp_ue(&r);
          rbsp_ue(&r);
        }
        if (sps[SPS_CHROMA_ARRAY_TYPE] != 0 && rbsp_bits(&r, 1)) for (int j = 0; j < 4; j++) rbsp_ue(&r);
      }
    }
  }
  if (nalRefIdc != 0) {
    if (nalType == 5) {
      rbsp_bits(&r, 2);
    } else if (rbsp_bits(&r, 1)) {
      for (int n = 0;; n++) {
        uint32_t op = rbsp_ue(&r);
        if (r.failed) return -1;
        if (op == 0) break;
        if (op > 6 || n > 64) return -1;
        if (op == 1 || op == 3) rbsp_ue(&r);
        if (op == 2) rbsp_ue(&r);
        if (op == 3 || op == 6) rbsp_ue(&r);
        if (op == 4) rbsp_ue(&r);
      }
    }
  }
  if (pps[PPS_ENTROPY_CODING_MODE] && type != I && type != SI) rbsp_ue(&r);
  rbsp_ue(&r); // slice_qp_delta
  if (type == SP || type == SI) {
    if (type == SP) rbsp_bits(&r, 1);
    rbsp_ue(&r);
  }
  if (pps[PPS_DEBLOCKING_CONTROL_PRESENT]) {
    if (rbsp_ue(&r) != 1) {
      rbsp_ue(&r);
      rbsp_ue(&r);
    }
  }
  if (r.failed) return -1;
  return (int64_t)r.pos - 1;
}

#define MAX_CLEAR 0xffff

typedef struct {
  uint32_t *pairs;
  size_t capacity, used;
} pair_out;

// A (clear, protected) pair, a clear run above 65535 bytes split off first; 0 when out of room.
static int push_pair(pair_out *o, uint64_t clear, uint32_t prot, uint32_t *count) {
  while (clear > MAX_CLEAR) {
    if (o->used >= o->capacity) return 0;
    o->pairs[2 * o->used] = MAX_CLEAR;
    o->pairs[2 * o->used + 1] = 0;
    o->used++;
    (*count)++;
    clear -= MAX_CLEAR;
  }
  if (o->used >= o->capacity) return 0;
  o->pairs[2 * o->used] = (uint32_t)clear;
  o->pairs[2 * o->used + 1] = prot;
  o->used++;
  (*count)++;
  return 1;
}

// The pairs of `n` H.264 samples (`sizes`, one after another from `at` in `payload`) into
// `out`, each sample's count into `counts`: 0, -1 (the JavaScript path must lay them out)
// or -2 (`out` is too small).
static int avc_layout(const uint8_t *payload, size_t payloadLength, uint64_t at, const uint32_t *sampleSizes, size_t n, uint32_t lengthSize, int cbcs, const int32_t *spsTable, const int32_t *ppsTable, pair_out *out, uint16_t *sampleCounts) {
  for (size_t i = 0; i < n; i++) {
    uint64_t size = sampleSizes[i];
    if (at + size > payloadLength) return -1;
    const uint8_t *sample = payload + at;
    uint64_t pos = 0, clear = 0;
    uint32_t count = 0;
    while (pos < size) {
      if (pos + lengthSize > size) return -1;
      uint64_t len = 0;
      for (uint32_t k = 0; k < lengthSize; k++) len = (len << 8) | sample[pos + k];
      uint64_t nalStart = pos + lengthSize;
      if (len < 1 || nalStart + len > size) return -1;
      const uint8_t *nal = sample + nalStart;
      int type = nal[0] & 0x1f;
      // An SPS or PPS in the sample (avc3): the JavaScript path parses and keeps it.
      if (type == 7 || type == 8) return -1;
      if (type == 1 || type == 5) {
        int64_t header = avc_slice_header_size(nal, (size_t)len, spsTable, ppsTable);
        if (header < 0) return -1;
        uint64_t clearInNal = 1 + (uint64_t)header < len ? 1 + (uint64_t)header : len;
        uint64_t prot = len - clearInNal;
        if (!cbcs) prot -= prot % 16;
        clear += lengthSize + len - prot;
        if (prot > 0) {
          if (!push_pair(out, clear, (uint32_t)prot, &count)) return -2;
          clear = 0;
        }
      } else {
        clear += lengthSize + len;
      }
      pos = nalStart + len;
    }
    if ((clear > 0 || count == 0) && !push_pair(out, clear, 0, &count)) return -2;
    if (count > 0xffff) return -1;
    sampleCounts[i] = (uint16_t)count;
    at += size;
  }
  return 0;
}

static napi_value avc_subsamples_js(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  view payload, sizes, sps, pps, pairs, counts;
  uint32_t start, lengthSize;
  bool cbcs;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 9
      || !typed(env, argv[0], napi_uint8_array, 0, &payload)
      || napi_get_value_uint32(env, argv[1], &start) != napi_ok
      || !typed(env, argv[2], napi_uint32_array, 0, &sizes)
      || napi_get_value_uint32(env, argv[3], &lengthSize) != napi_ok
      || napi_get_value_bool(env, argv[4], &cbcs) != napi_ok
      || !typed(env, argv[5], napi_int32_array, 0, &sps) || sps.length != SPS_FIELDS * SPS_IDS
      || !typed(env, argv[6], napi_int32_array, 0, &pps) || pps.length != PPS_FIELDS * PPS_IDS
      || !typed(env, argv[7], napi_uint32_array, 0, &pairs)
      || !typed(env, argv[8], napi_uint16_array, 0, &counts) || counts.length < sizes.length
      || lengthSize < 1 || lengthSize > 4) {
    napi_throw_type_error(env, NULL, "avcSubsamples(payload, start, sampleSizes, nalLengthSize 1-4, cbcs, sps, pps, pairs, counts): Uint8Array, number, Uint32Array, number, boolean, Int32Array, Int32Array, Uint32Array, Uint16Array");
    return NULL;
  }
  pair_out out = { (uint32_t *)pairs.data, pairs.length / 2, 0 };
  int status = avc_layout(payload.data, payload.length, start, (const uint32_t *)sizes.data, sizes.length, lengthSize, cbcs, (const int32_t *)sps.data, (const int32_t *)pps.data, &out, (uint16_t *)counts.data);
  napi_create_int64(env, status == 0 ? (int64_t)out.used : status, &result);
  return result;
}

// ---------------------------------------------------------------------------------------
// protectFragment(body, cbcs, ivBase, constantIv|null, crypt, skip, nalLengthSize, sps|null, pps|null, key, head, out) -> 0 | -1 | -2
//   A whole clear fragment made protected in one call, as src/protect/protectFragment.ts
//   makes it (its layout, box by box and byte by byte, and the same checks): the protected
//   head (moof with saiz, saio, senc and for cenc PIFF's sample encryption uuid in its traf,
//   trun data offsets moved, then what lies between the moof and the mdat payload) written
//   into `head`, and the mdat payload encrypted in place in `body`. `ivBase` (BigInt) is
//   the fragment's first IV (cenc: sample i gets ivBase + i); `nalLengthSize` 0 for audio
//   (whole samples), else H.264 samples laid out as avcSubsamples does with `sps`/`pps`.
//   `out` (Uint32Array) gets the head's length and the payload's offset in `body`.
//   -1: anything unusual (64-bit or open-ended box sizes, a traf or tfhd the simple layout
//   does not cover, anything the H.264 layout declines, anything malformed), nothing
//   changed: the JavaScript path then makes it or names what is wrong. -2: `head` is too small.

typedef struct {
  uint64_t off, size;
  uint32_t hdr;
  char type[4];
} cbox;

static uint32_t be32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static int is_type(const cbox *b, const char *t) { return memcmp(b->type, t, 4) == 0; }

// A box with a plain 32-bit size inside [at, limit); 0 for anything else (the JavaScript path decides).
static int box_at(const uint8_t *b, uint64_t at, uint64_t limit, cbox *out) {
  if (at + 8 > limit) return 0;
  uint64_t size = be32(b + at);
  if (size < 8 || at + size > limit) return 0;
  out->off = at;
  out->size = size;
  out->hdr = 8;
  memcpy(out->type, b + at + 4, 4);
  if (is_type(out, "uuid")) {
    if (size < 24) return 0;
    out->hdr = 24;
  }
  return 1;
}

static const uint8_t PIFF_SENC[16] = { 0xa2, 0x39, 0x4f, 0x52, 0x5a, 0x9b, 0x4f, 0x14, 0xa2, 0x44, 0x6c, 0x42, 0x7c, 0x64, 0x8d, 0xf4 };
#define MAX_CHILDREN 64
#define SENC_USE_SUBSAMPLES 2

typedef struct {
  uint32_t *sizes;
  uint32_t *pairs;
  uint16_t *counts;
  uint8_t *ivs;
} protect_scratch;

static void free_scratch(protect_scratch *s) {
  free(s->sizes);
  free(s->pairs);
  free(s->counts);
  free(s->ivs);
}

static int protect_fragment(const uint8_t *body, size_t length, int cbcs, uint64_t ivBase, const uint8_t *constantIv, uint32_t crypt, uint32_t skip, uint32_t lengthSize, const int32_t *sps, const int32_t *pps, const uint8_t *key, uint8_t *head, size_t headCapacity, uint32_t *out, protect_scratch *sc) {
  cbox moof, traf = { 0 }, children[MAX_CHILDREN], trafChildren[MAX_CHILDREN];
  size_t nChildren = 0, nTraf = 0;
  int hasTraf = 0;
  if (!box_at(body, 0, length, &moof) || !is_type(&moof, "moof")) return -1;
  for (uint64_t at = 8; at < moof.size; at += children[nChildren++].size) {
    if (nChildren == MAX_CHILDREN || !box_at(body, at, moof.size, &children[nChildren])) return -1;
    if (is_type(&children[nChildren], "traf")) {
      if (hasTraf) return -1;
      hasTraf = 1;
      traf = children[nChildren];
    }
  }
  if (!hasTraf) return -1;
  // The mdat, after anything else between it and the moof.
  uint64_t mdatPayload = 0, mdatEnd = 0;
  for (uint64_t at = moof.size;;) {
    cbox b;
    if (!box_at(body, at, length, &b)) return -1;
    if (is_type(&b, "mdat")) {
      mdatPayload = at + 8;
      mdatEnd = at + b.size;
      break;
    }
    at += b.size;
  }
  uint64_t trafContent = 0;
  const cbox *tfhd = NULL;
  for (uint64_t at = traf.off + 8; at < traf.off + traf.size; at += trafChildren[nTraf++].size) {
    cbox *c = &trafChildren[nTraf];
    if (nTraf == MAX_CHILDREN || !box_at(body, at, traf.off + traf.size, c)) return -1;
    if (is_type(c, "senc") || is_type(c, "saiz") || is_type(c, "saio") || (is_type(c, "uuid") && memcmp(body + c->off + 8, PIFF_SENC, 16) == 0)) return -1;
    if (is_type(c, "tfhd")) tfhd = c;
    trafContent += c->size;
  }
  if (tfhd == NULL || tfhd->size < 16) return -1;
  uint32_t tfhdFlags = be32(body + tfhd->off + 8) & 0xffffff;
  if (tfhdFlags & 0x01) return -1; // base_data_offset: the JavaScript path says why
  uint64_t field = tfhd->off + 16;
  if (tfhdFlags & 0x02) field += 4;
  if (tfhdFlags & 0x08) field += 4;
  int hasDefaultSize = (tfhdFlags & 0x10) != 0;
  if (field + (hasDefaultSize ? 4 : 0) > tfhd->off + tfhd->size) return -1;
  uint32_t defaultSize = hasDefaultSize ? be32(body + field) : 0;

  // Samples: every trun's sizes, the truns one after another.
  size_t n = 0, room = 0;
  int64_t start = -1, next = -1;
  for (size_t t = 0; t < nTraf; t++) {
    const cbox *b = &trafChildren[t];
    if (!is_type(b, "trun") || b->hdr != 8 || b->size < 16) {
      if (is_type(b, "trun")) return -1;
      continue;
    }
    const uint8_t *p = body + b->off + 8;
    uint32_t flags = be32(p) & 0xffffff;
    uint32_t count = be32(p + 4);
    if (!(flags & 0x01) || b->size < 20) return -1;
    int32_t dataOffset = (int32_t)be32(p + 8);
    uint64_t at = b->off + 20 + ((flags & 0x04) ? 4 : 0);
    uint32_t before = (flags & 0x100) ? 4 : 0;
    int hasSize = (flags & 0x200) != 0;
    uint32_t perSample = before + (hasSize ? 4 : 0) + ((flags & 0x400) ? 4 : 0) + ((flags & 0x800) ? 4 : 0);
    if (at + (uint64_t)perSample * count > b->off + b->size) return -1;
    if (!hasSize && !hasDefaultSize && count > 0) return -1;
    if (n + count > room) {
      size_t grown = room * 2 > n + count ? room * 2 : n + count + 64;
      uint32_t *sizes = realloc(sc->sizes, grown * sizeof(uint32_t));
      if (sizes == NULL) return -1;
      sc->sizes = sizes;
      room = grown;
    }
    int64_t first = dataOffset;
    for (uint32_t i = 0; i < count; i++, at += perSample) sc->sizes[n + i] = hasSize ? be32(body + at + before) : defaultSize;
    if (start < 0) start = first;
    else if (first != next) return -1;
    next = first;
    for (uint32_t i = 0; i < count; i++) next += sc->sizes[n + i];
    n += count;
  }
  if (start < 0) start = (int64_t)mdatPayload;
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += sc->sizes[i];
  if (start < (int64_t)mdatPayload || (uint64_t)start - mdatPayload + total > mdatEnd - mdatPayload) return -1;

  // Subsamples (H.264) and IVs.
  size_t pairCount = 0;
  if (lengthSize > 0) {
    sc->counts = malloc((n > 0 ? n : 1) * sizeof(uint16_t));
    size_t capacity = 2 * n + 64;
    for (;;) {
      sc->pairs = malloc(capacity * 2 * sizeof(uint32_t));
      if (sc->counts == NULL || sc->pairs == NULL) return -1;
      pair_out po = { sc->pairs, capacity, 0 };
      int status = avc_layout(body, mdatEnd, (uint64_t)start, sc->sizes, n, lengthSize, cbcs, sps, pps, &po, sc->counts);
      if (status == 0) {
        pairCount = po.used;
        break;
      }
      free(sc->pairs);
      sc->pairs = NULL;
      if (status != -2 || capacity > 2 * (length + n)) return -1;
      capacity *= 2;
    }
  }
  uint32_t ivSize = cbcs ? 0 : 8;
  sc->ivs = calloc(n > 0 ? 16 * n : 16, 1);
  if (sc->ivs == NULL) return -1;
  for (size_t i = 0; i < n; i++) {
    if (cbcs) memcpy(sc->ivs + 16 * i, constantIv, 16);
    else {
      uint64_t iv = ivBase + i;
      put32(sc->ivs + 16 * i, (uint32_t)(iv >> 32));
      put32(sc->ivs + 16 * i + 4, (uint32_t)iv);
    }
  }

  // The boxes added to the traf, sized as protectFragment sizes them.
  int subs = lengthSize > 0;
  uint64_t entriesSize = 4 + (uint64_t)n * ivSize + (subs ? 2 * (uint64_t)n + 6 * (uint64_t)pairCount : 0);
#define INFO_SIZE(i) (ivSize + (subs ? 2 + 6 * (uint32_t)sc->counts[i] : 0))
  int sameSize = 1;
  for (size_t i = 1; i < n && sameSize; i++) sameSize = INFO_SIZE(i) == INFO_SIZE(0);
  int aux = n > 0 && (!sameSize || INFO_SIZE(0) != 0);
  if (aux && !sameSize) {
    for (size_t i = 0; i < n; i++) if (INFO_SIZE(i) > 255) return -1;
  }
  uint64_t saizSize = 12 + 5 + (sameSize ? 0 : n);
  uint64_t saioSize = 12 + 8;
  uint64_t sencSize = 12 + entriesSize;
  uint64_t piffSize = cbcs ? 0 : 8 + 16 + 4 + entriesSize;
  uint64_t added = (aux ? saizSize + saioSize : 0) + sencSize + piffSize;
  uint64_t newTraf = 8 + trafContent + added;
  uint64_t moofContent = 0;
  for (size_t c = 0; c < nChildren; c++) moofContent += children[c].off == traf.off ? newTraf : children[c].size;
  uint64_t newMoof = 8 + moofContent;
  if (newMoof > 0xffffffffu || newTraf > 0xffffffffu) return -1;
  uint64_t headLength = newMoof + mdatPayload - moof.size;
  if (headLength > headCapacity) return -2;
  int64_t delta = (int64_t)newMoof - (int64_t)moof.size;

  memset(head, 0, headLength);
  uint8_t *w = head;
  put32(w, (uint32_t)newMoof);
  memcpy(w + 4, "moof", 4);
  w += 8;
  for (size_t c = 0; c < nChildren; c++) {
    if (children[c].off != traf.off) {
      memcpy(w, body + children[c].off, children[c].size);
      w += children[c].size;
      continue;
    }
    put32(w, (uint32_t)newTraf);
    memcpy(w + 4, "traf", 4);
    w += 8;
    for (size_t t = 0; t < nTraf; t++) {
      memcpy(w, body + trafChildren[t].off, trafChildren[t].size);
      // trun data offsets count from the moof: moved by the bytes the moof grew.
      if (is_type(&trafChildren[t], "trun")) put32(w + 16, (uint32_t)((int32_t)be32(w + 16) + (int32_t)delta));
      w += trafChildren[t].size;
    }
    uint8_t *saiz = w;
    uint8_t *senc = aux ? saiz + saizSize + saioSize : saiz;
    if (aux) {
      put32(saiz, (uint32_t)saizSize);
      memcpy(saiz + 4, "saiz", 4);
      uint8_t *a = saiz + 12;
      *a++ = sameSize ? (uint8_t)INFO_SIZE(0) : 0;
      put32(a, (uint32_t)n);
      a += 4;
      if (!sameSize) for (size_t i = 0; i < n; i++) *a++ = (uint8_t)INFO_SIZE(i);
      uint8_t *saio = saiz + saizSize;
      put32(saio, (uint32_t)saioSize);
      memcpy(saio + 4, "saio", 4);
      put32(saio + 12, 1);
      put32(saio + 16, (uint32_t)(senc - head + 16));
    }
    put32(senc, (uint32_t)sencSize);
    memcpy(senc + 4, "senc", 4);
    put32(senc + 8, subs ? SENC_USE_SUBSAMPLES : 0);
    uint8_t *e = senc + 12;
    put32(e, (uint32_t)n);
    e += 4;
    size_t pair = 0;
    for (size_t i = 0; i < n; i++) {
      memcpy(e, sc->ivs + 16 * i, ivSize);
      e += ivSize;
      if (!subs) continue;
      put16(e, sc->counts[i]);
      e += 2;
      for (uint32_t k = 0; k < sc->counts[i]; k++, pair++) {
        put16(e, sc->pairs[2 * pair]);
        put32(e + 2, sc->pairs[2 * pair + 1]);
        e += 6;
      }
    }
    if (piffSize > 0) {
      uint8_t *piff = senc + sencSize;
      put32(piff, (uint32_t)piffSize);
      memcpy(piff + 4, "uuid", 4);
      memcpy(piff + 8, PIFF_SENC, 16);
      put32(piff + 24, subs ? SENC_USE_SUBSAMPLES : 0);
      memcpy(piff + 28, senc + 12, entriesSize);
    }
    w += added;
  }
  memcpy(w, body + moof.size, mdatPayload - moof.size);
#undef INFO_SIZE

  // The payload, encrypted in place.
  job j;
  memset(&j, 0, sizeof j);
  j.payload.data = (uint8_t *)body + mdatPayload;
  j.payload.length = length - mdatPayload;
  j.key.data = (uint8_t *)key;
  j.key.length = 16;
  j.ivs.data = sc->ivs;
  j.ivs.length = 16 * n;
  j.sizes.data = (uint8_t *)sc->sizes;
  j.sizes.length = n;
  j.subs.data = subs ? (uint8_t *)sc->pairs : NULL;
  j.subs.length = subs ? 2 * pairCount : 0;
  j.counts.data = subs ? (uint8_t *)sc->counts : NULL;
  j.counts.length = subs ? n : 0;
  j.start = (uint32_t)((uint64_t)start - mdatPayload);
  j.crypt = crypt;
  j.skip = skip;
  j.encrypt = 1;
  if (!layout_fits(&j)) return -1;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int ok = ctx != NULL && EVP_CipherInit_ex(ctx, cbcs ? EVP_aes_128_cbc() : EVP_aes_128_ctr(), NULL, key, NULL, 1);
  if (ok) ok = EVP_CIPHER_CTX_set_padding(ctx, 0);
  if (ok) ok = each_range(ctx, &j, cbcs ? cbc_range : ctr_range);
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return -3;
  out[0] = (uint32_t)headLength;
  out[1] = (uint32_t)mdatPayload;
  return 0;
}

static napi_value protect_fragment_js(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  view body, constantIv, sps, pps, key, head, out;
  bool cbcs, lossless;
  uint64_t ivBase;
  uint32_t crypt, skip, lengthSize;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 12
      || !typed(env, argv[0], napi_uint8_array, 0, &body)
      || napi_get_value_bool(env, argv[1], &cbcs) != napi_ok
      || napi_get_value_bigint_uint64(env, argv[2], &ivBase, &lossless) != napi_ok
      || !typed(env, argv[3], napi_uint8_array, 1, &constantIv) || (cbcs && constantIv.length != 16)
      || napi_get_value_uint32(env, argv[4], &crypt) != napi_ok
      || napi_get_value_uint32(env, argv[5], &skip) != napi_ok
      || napi_get_value_uint32(env, argv[6], &lengthSize) != napi_ok || lengthSize > 4
      || !typed(env, argv[7], napi_int32_array, 1, &sps) || !typed(env, argv[8], napi_int32_array, 1, &pps)
      || (lengthSize > 0 && (sps.length != SPS_FIELDS * SPS_IDS || pps.length != PPS_FIELDS * PPS_IDS))
      || !typed(env, argv[9], napi_uint8_array, 0, &key) || key.length != 16
      || !typed(env, argv[10], napi_uint8_array, 0, &head)
      || !typed(env, argv[11], napi_uint32_array, 0, &out) || out.length < 2) {
    napi_throw_type_error(env, NULL, "protectFragment(body, cbcs, ivBase, constantIv|null, crypt, skip, nalLengthSize 0-4, sps|null, pps|null, key, head, out): Uint8Array, boolean, bigint, 16-byte Uint8Array, number, number, number, Int32Array, Int32Array, 16-byte Uint8Array, Uint8Array, Uint32Array");
    return NULL;
  }
  protect_scratch sc = { NULL, NULL, NULL, NULL };
  int status = protect_fragment(body.data, body.length, cbcs, ivBase, constantIv.data, crypt, skip, lengthSize, (const int32_t *)sps.data, (const int32_t *)pps.data, key.data, head.data, head.length, (uint32_t *)out.data, &sc);
  free_scratch(&sc);
  if (status == -3) {
    napi_throw_error(env, "ECRYPTO", "OpenSSL failed to encrypt a fragment");
    return NULL;
  }
  napi_create_int32(env, status, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "cenc", NAPI_AUTO_LENGTH, cenc_js, NULL, &fn);
  napi_set_named_property(env, exports, "cenc", fn);
  napi_create_function(env, "cbcs", NAPI_AUTO_LENGTH, cbcs_js, NULL, &fn);
  napi_set_named_property(env, exports, "cbcs", fn);
  napi_create_function(env, "avcSubsamples", NAPI_AUTO_LENGTH, avc_subsamples_js, NULL, &fn);
  napi_set_named_property(env, exports, "avcSubsamples", fn);
  napi_create_function(env, "protectFragment", NAPI_AUTO_LENGTH, protect_fragment_js, NULL, &fn);
  napi_set_named_property(env, exports, "protectFragment", fn);
  return exports;
}
