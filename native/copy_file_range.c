// copyFileRange(fdIn, offIn, fdOut, offOut, length): copies `length` bytes between two
// file descriptors inside the kernel with copy_file_range(2), as coreutils' cp does, so
// fragment bytes never pass through user space. Offsets are explicit: neither file's
// position moves. Returns the bytes copied, fewer than `length` only if the source ended.
// Throws an Error whose `code` is the errno name (e.g. 'EXDEV'); choosing a fallback is
// the JavaScript caller's job.
//
// stats() -> { calls, bytes }: copyFileRange calls made by this process and the bytes they
// copied, counted across every thread (worker threads load this same library, so they
// share the counters). Tests read them to prove the kernel path ran; a relaxed atomic add
// per call costs nothing next to the system call.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <node_api.h>

static int64_t stat_calls = 0;
static int64_t stat_bytes = 0;

static const char *errno_name(int e) {
  switch (e) {
    case ENOSYS: return "ENOSYS";
    case EXDEV: return "EXDEV";
    case EINVAL: return "EINVAL";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EBADF: return "EBADF";
    case EIO: return "EIO";
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EFBIG: return "EFBIG";
    case EISDIR: return "EISDIR";
    case EOVERFLOW: return "EOVERFLOW";
    case EPERM: return "EPERM";
    case ETXTBSY: return "ETXTBSY";
    case ENOMEM: return "ENOMEM";
    default: return "EUNKNOWN";
  }
}

// Loops until `length` bytes are copied or the source ends; -errno on failure.
static int64_t copy_all(int fd_in, int64_t off_in, int fd_out, int64_t off_out, int64_t length) {
#if defined(__linux__) && defined(SYS_copy_file_range)
  int64_t done = 0;
  while (done < length) {
    int64_t in = off_in + done; // the kernel's loff_t: 64 bits everywhere
    int64_t out = off_out + done;
    // The raw syscall: glibc's wrapper is missing before 2.27 and, on some versions,
    // emulates the copy in user space, which is what this addon exists to avoid.
    long n = syscall(SYS_copy_file_range, fd_in, &in, fd_out, &out, (size_t)(length - done), 0u);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;
    done += n;
  }
  return done;
#else
  (void)fd_in; (void)off_in; (void)fd_out; (void)off_out; (void)length;
  return -ENOSYS;
#endif
}

static napi_value throw_errno(napi_env env, int e) {
  napi_value code, msg, err, num, syscall_name;
  const char *name = errno_name(e);
  char text[160];
  snprintf(text, sizeof text, "%s: %s, copy_file_range", name, strerror(e));
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &err);
  // Node's own fs errors carry errno negated (libuv style); do the same.
  napi_create_int32(env, -e, &num);
  napi_set_named_property(env, err, "errno", num);
  napi_create_string_utf8(env, "copy_file_range", NAPI_AUTO_LENGTH, &syscall_name);
  napi_set_named_property(env, err, "syscall", syscall_name);
  napi_throw(env, err);
  return NULL;
}

static int read_args(napi_env env, napi_callback_info info, int64_t v[5]) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc != 5) {
    napi_throw_type_error(env, NULL, "copyFileRange(fdIn, offIn, fdOut, offOut, length) takes 5 numbers");
    return 0;
  }
  for (size_t i = 0; i < 5; i++) {
    napi_valuetype t;
    napi_typeof(env, argv[i], &t);
    if (t != napi_number || napi_get_value_int64(env, argv[i], &v[i]) != napi_ok || v[i] < 0) {
      napi_throw_type_error(env, NULL, "copyFileRange: every argument must be a non-negative integer");
      return 0;
    }
  }
  return 1;
}

static napi_value copy_file_range_js(napi_env env, napi_callback_info info) {
  int64_t v[5];
  if (!read_args(env, info, v)) return NULL;
  int64_t r = copy_all((int)v[0], v[1], (int)v[2], v[3], v[4]);
  __atomic_fetch_add(&stat_calls, 1, __ATOMIC_RELAXED);
  if (r < 0) return throw_errno(env, (int)-r);
  __atomic_fetch_add(&stat_bytes, r, __ATOMIC_RELAXED);
  napi_value out;
  napi_create_int64(env, r, &out);
  return out;
}

static napi_value stats_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, calls, bytes;
  napi_create_object(env, &out);
  napi_create_int64(env, __atomic_load_n(&stat_calls, __ATOMIC_RELAXED), &calls);
  napi_create_int64(env, __atomic_load_n(&stat_bytes, __ATOMIC_RELAXED), &bytes);
  napi_set_named_property(env, out, "calls", calls);
  napi_set_named_property(env, out, "bytes", bytes);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn, stats;
  napi_create_function(env, "copyFileRange", NAPI_AUTO_LENGTH, copy_file_range_js, NULL, &fn);
  napi_set_named_property(env, exports, "copyFileRange", fn);
  napi_create_function(env, "stats", NAPI_AUTO_LENGTH, stats_js, NULL, &stats);
  napi_set_named_property(env, exports, "stats", stats);
  return exports;
}
