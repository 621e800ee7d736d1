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

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "cenc", NAPI_AUTO_LENGTH, cenc_js, NULL, &fn);
  napi_set_named_property(env, exports, "cenc", fn);
  napi_create_function(env, "cbcs", NAPI_AUTO_LENGTH, cbcs_js, NULL, &fn);
  napi_set_named_property(env, exports, "cbcs", fn);
  return exports;
}
