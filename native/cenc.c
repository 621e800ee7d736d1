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
  const uint32_t *sampleSizes = (const uint32_t *)sizes.data;
  const int32_t *spsTable = (const int32_t *)sps.data;
  const int32_t *ppsTable = (const int32_t *)pps.data;
  uint16_t *sampleCounts = (uint16_t *)counts.data;
  pair_out out = { (uint32_t *)pairs.data, pairs.length / 2, 0 };
  int64_t status = 0;
  uint64_t at = start;
  for (size_t i = 0; i < sizes.length && status == 0; i++) {
    uint64_t size = sampleSizes[i];
    if (at + size > payload.length) {
      status = -1;
      break;
    }
    const uint8_t *sample = payload.data + at;
    uint64_t pos = 0, clear = 0;
    uint32_t count = 0;
    while (pos < size) {
      if (pos + lengthSize > size) {
        status = -1;
        break;
      }
      uint64_t len = 0;
      for (uint32_t k = 0; k < lengthSize; k++) len = (len << 8) | sample[pos + k];
      uint64_t nalStart = pos + lengthSize;
      if (len < 1 || nalStart + len > size) {
        status = -1;
        break;
      }
      const uint8_t *nal = sample + nalStart;
      int type = nal[0] & 0x1f;
      if (type == 7 || type == 8) {
        // An SPS or PPS in the sample (avc3): the JavaScript path parses and keeps it.
        status = -1;
        break;
      }
      if (type == 1 || type == 5) {
        int64_t header = avc_slice_header_size(nal, (size_t)len, spsTable, ppsTable);
        if (header < 0) {
          status = -1;
          break;
        }
        uint64_t clearInNal = 1 + (uint64_t)header < len ? 1 + (uint64_t)header : len;
        uint64_t prot = len - clearInNal;
        if (!cbcs) prot -= prot % 16;
        clear += lengthSize + len - prot;
        if (prot > 0) {
          if (!push_pair(&out, clear, (uint32_t)prot, &count)) status = -2;
          clear = 0;
        }
      } else {
        clear += lengthSize + len;
      }
      pos = nalStart + len;
    }
    if (status == 0 && (clear > 0 || count == 0) && !push_pair(&out, clear, 0, &count)) status = -2;
    if (status == 0 && count > 0xffff) status = -1;
    if (status == 0) sampleCounts[i] = (uint16_t)count;
    at += size;
  }
  napi_create_int64(env, status == 0 ? (int64_t)out.used : status, &result);
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
  return exports;
}
