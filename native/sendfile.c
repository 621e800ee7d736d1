// sendFile(socketFd, fileFd, offset, length) -> Promise<bytes sent>: moves a file range to a
// socket with sendfile(2), as nginx does, so fragment bytes never pass through user space.
// It runs on libuv's thread pool (a cold page-cache read may block on the disk there, never
// on the event loop) and never waits for the peer: the socket must be non-blocking (libuv's
// always are), and when its send buffer fills (EAGAIN) the promise resolves with the bytes
// sent so far; the JavaScript caller decides how to go on. Other failures reject with an
// Error whose `code` is the errno name (EPIPE, ECONNRESET...); a file that ends before
// `length` rejects with code 'EOF' and `bytesSent`.
//
// Both descriptors are dup()ed on the JavaScript thread before the work is queued: if the
// socket is destroyed or the file closed meanwhile, the number could be reused by another
// connection or file, and the pool thread would send the wrong bytes to the wrong place.
// The duplicates keep the original socket and file alive until the work completes.
//
// stats() -> { pool, cached, withHead, bytes, cachestat }: sends made by this process on the
// thread pool and on the calling thread (withHead: those of them that carried a response
// head, sendHeadAndFileCached), the file bytes they sent, and whether the kernel has
// cachestat(2) (false once it answered ENOSYS). Counted across every thread with relaxed
// atomic adds, which cost nothing next to the system call; tests read them to prove which
// path ran.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>
#include <stdbool.h>
#ifdef __linux__
#include <sys/socket.h>
#include <sys/uio.h>
#endif
#ifdef __linux__
#include <sys/sendfile.h>
#include <sys/syscall.h>
#endif

// Beyond 2^31-4096 bytes a sendfile call transfers at most that much anyway.
#define MAX_CHUNK ((int64_t)0x7ffff000)
#define ERR_EOF (-1000000) // not an errno: the file ended before `length`

static int64_t stat_pool = 0;
static int64_t stat_cached = 0;
static int64_t stat_bytes = 0;
static int64_t stat_with_head = 0;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int socket_fd; // our dup
  int file_fd;   // our dup
  int64_t offset;
  int64_t length;
  int64_t sent;  // result
  int error;     // 0, an errno, or ERR_EOF
} send_job;

static const char *errno_name(int e) {
  switch (e) {
    case ERR_EOF: return "EOF";
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case ENOTCONN: return "ENOTCONN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    case ENOSYS: return "ENOSYS";
    case EOVERFLOW: return "EOVERFLOW";
    case ESPIPE: return "ESPIPE";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOTSOCK: return "ENOTSOCK";
    case ECANCELED: return "ECANCELED";
    default: return "EUNKNOWN";
  }
}

// Runs on a pool thread: no N-API calls here.
static void execute(napi_env env, void *data) {
  (void)env;
  send_job *job = data;
#ifdef __linux__
  while (job->sent < job->length) {
    off_t off = (off_t)(job->offset + job->sent);
    int64_t want = job->length - job->sent;
    if (want > MAX_CHUNK) want = MAX_CHUNK;
    ssize_t n = sendfile(job->socket_fd, job->file_fd, &off, (size_t)want);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return; // socket buffer full: partial
      job->error = errno;
      return;
    }
    if (n == 0) {
      job->error = ERR_EOF;
      return;
    }
    job->sent += n;
  }
#else
  job->error = ENOSYS;
#endif
}

static napi_value make_error(napi_env env, int e, int64_t sent) {
  napi_value code, msg, err, num, syscall_name, bytes;
  const char *name = errno_name(e);
  char text[200];
  if (e == ERR_EOF) snprintf(text, sizeof text, "EOF: file ended before the range did, sendfile");
  else snprintf(text, sizeof text, "%s: %s, sendfile", name, strerror(e));
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &err);
  if (e != ERR_EOF) {
    // Node's own errors carry errno negated (libuv style); do the same.
    napi_create_int32(env, -e, &num);
    napi_set_named_property(env, err, "errno", num);
  }
  napi_create_string_utf8(env, "sendfile", NAPI_AUTO_LENGTH, &syscall_name);
  napi_set_named_property(env, err, "syscall", syscall_name);
  napi_create_int64(env, sent, &bytes);
  napi_set_named_property(env, err, "bytesSent", bytes);
  return err;
}

// Back on the JavaScript thread.
static void complete(napi_env env, napi_status status, void *data) {
  send_job *job = data;
  close(job->socket_fd);
  close(job->file_fd);
  if (status == napi_ok) {
    __atomic_fetch_add(&stat_pool, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&stat_bytes, job->sent, __ATOMIC_RELAXED);
  }
  napi_value result;
  if (status != napi_ok) {
    napi_reject_deferred(env, job->deferred, make_error(env, status == napi_cancelled ? ECANCELED : EIO, job->sent));
  } else if (job->error != 0) {
    napi_reject_deferred(env, job->deferred, make_error(env, job->error, job->sent));
  } else {
    napi_create_int64(env, job->sent, &result);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value reject_now(napi_env env, int e) {
  napi_deferred deferred;
  napi_value promise;
  napi_create_promise(env, &deferred, &promise);
  napi_reject_deferred(env, deferred, make_error(env, e, 0));
  return promise;
}

// Reads (socketFd, fileFd, offset, length): non-negative integers, descriptors fitting an
// int. Returns 0 with a TypeError thrown otherwise.
static int read_args(napi_env env, napi_callback_info info, const char *fn, int64_t v[4]) {
  size_t argc = 4;
  napi_value argv[4];
  char text[120];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc != 4) {
    snprintf(text, sizeof text, "%s(socketFd, fileFd, offset, length) takes 4 numbers", fn);
    napi_throw_type_error(env, NULL, text);
    return 0;
  }
  for (size_t i = 0; i < 4; i++) {
    napi_valuetype t;
    napi_typeof(env, argv[i], &t);
    if (t != napi_number || napi_get_value_int64(env, argv[i], &v[i]) != napi_ok || v[i] < 0) {
      snprintf(text, sizeof text, "%s: every argument must be a non-negative integer", fn);
      napi_throw_type_error(env, NULL, text);
      return 0;
    }
  }
  if (v[0] > INT32_MAX || v[1] > INT32_MAX) {
    snprintf(text, sizeof text, "%s: descriptors must fit in an int", fn);
    napi_throw_type_error(env, NULL, text);
    return 0;
  }
  return 1;
}

static napi_value send_file_js(napi_env env, napi_callback_info info) {
  int64_t v[4];
  if (!read_args(env, info, "sendFile", v)) return NULL;
#ifndef __linux__
  return reject_now(env, ENOSYS);
#else
  // A blocking socket would make the pool thread wait for the client: refuse it.
  int flags = fcntl((int)v[0], F_GETFL);
  if (flags < 0) return reject_now(env, errno);
  if (!(flags & O_NONBLOCK)) return reject_now(env, EINVAL);
  int sock = fcntl((int)v[0], F_DUPFD_CLOEXEC, 0);
  if (sock < 0) return reject_now(env, errno);
  int file = fcntl((int)v[1], F_DUPFD_CLOEXEC, 0);
  if (file < 0) {
    int e = errno;
    close(sock);
    return reject_now(env, e);
  }
  send_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    close(sock);
    close(file);
    return reject_now(env, ENOMEM);
  }
  job->socket_fd = sock;
  job->file_fd = file;
  job->offset = v[2];
  job->length = v[3];
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "smoothpub:sendfile", NAPI_AUTO_LENGTH, &name);
  napi_status created = napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  if (created != napi_ok || napi_queue_async_work(env, job->work) != napi_ok) {
    if (created == napi_ok) napi_delete_async_work(env, job->work);
    napi_reject_deferred(env, job->deferred, make_error(env, EIO, 0));
    close(sock);
    close(file);
    free(job);
  }
  return promise;
#endif
}

// sendFileCached(socketFd, fileFd, offset, length) -> bytes sent, or -1 when some of the
// range is not in the page cache (or the kernel cannot tell: cachestat(2) is Linux 6.5+).
// Runs on the calling (JavaScript) thread: with every page cached, sendfile(2) to a
// non-blocking socket never waits, and skipping the thread pool's dup, queue, wake-up and
// completion halves the cost of a fragment. When the range is not all cached the caller
// uses sendFile, so the event loop never waits on the disk. EAGAIN (buffer full) returns
// the bytes sent so far; other failures throw an Error with `code` as sendFile rejects.
#ifdef __linux__
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
struct smoothpub_cachestat_range { uint64_t off; uint64_t len; };
struct smoothpub_cachestat { uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };
static int cachestat_works = 1;
#endif

#ifdef __linux__
// 1 when every page of the range is in the page cache, 0 when not or when the kernel
// cannot tell (cachestat(2) is Linux 6.5+; ENOSYS turns the check off for good).
static int range_cached(int file, int64_t offset, int64_t length) {
  if (!cachestat_works || length <= 0) return 0;
  struct smoothpub_cachestat_range range = { (uint64_t)offset, (uint64_t)length };
  struct smoothpub_cachestat cs;
  long page = sysconf(_SC_PAGESIZE);
  uint64_t pages = (uint64_t)((offset + length + page - 1) / page - offset / page);
  if (syscall(__NR_cachestat, file, &range, &cs, 0) != 0) {
    if (errno == ENOSYS) cachestat_works = 0;
    return 0;
  }
  return cs.nr_cache >= pages;
}

static int nonblocking(int sock) {
  int flags = fcntl(sock, F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK);
}

// sendfile(2) of a cached range on this thread until done or EAGAIN: the bytes sent, or
// -1 with `*error` set (an errno, or ERR_EOF) and `*sent_out` what went before it.
static int64_t send_cached(int sock, int file, int64_t offset, int64_t length, int *error, int64_t *sent_out) {
  int64_t sent = 0;
  while (sent < length) {
    off_t off = (off_t)(offset + sent);
    int64_t want = length - sent;
    if (want > MAX_CHUNK) want = MAX_CHUNK;
    ssize_t n = sendfile(sock, file, &off, (size_t)want);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      *error = errno;
      *sent_out = sent;
      return -1;
    }
    if (n == 0) {
      *error = ERR_EOF;
      *sent_out = sent;
      return -1;
    }
    sent += n;
    __atomic_fetch_add(&stat_bytes, n, __ATOMIC_RELAXED);
  }
  return sent;
}
#endif

static napi_value send_file_cached_js(napi_env env, napi_callback_info info) {
  int64_t v[4];
  napi_value result;
  if (!read_args(env, info, "sendFileCached", v)) return NULL;
  int64_t sent = -1;
#ifdef __linux__
  int sock = (int)v[0], file = (int)v[1];
  if (v[3] == 0) {
    sent = 0;
  } else if (nonblocking(sock) && range_cached(file, v[2], v[3])) {
    __atomic_fetch_add(&stat_cached, 1, __ATOMIC_RELAXED);
    int error = 0;
    int64_t before = 0;
    sent = send_cached(sock, file, v[2], v[3], &error, &before);
    if (sent < 0) {
      napi_throw(env, make_error(env, error, before));
      return NULL;
    }
  }
#endif
  napi_create_int64(env, sent, &result);
  return result;
}

// sendHeadAndFileCached(socketFd, head, prefix, fileFd, offset, length) -> bytes sent, or
// -1 with nothing sent when some of the range is not in the page cache (as sendFileCached).
// `head` is a latin1 string (node's response head) or its bytes, `prefix` bytes to follow it (a
// rewritten moof) or null; both go in one sendmsg(2) with MSG_MORE, so the kernel holds
// them until the file's pages follow and the response leaves in full segments instead of
// a small one for the head first (what nginx gets from TCP_NOPUSH). The file range is
// sent only when head and prefix went whole; a result short of head + prefix + length
// means the socket's buffer filled. Failures throw as sendFileCached does (`bytesSent`
// counts head and prefix too).
#ifdef __linux__
#define HEAD_STACK 4096
#endif

static napi_value send_head_and_file_cached_js(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  napi_valuetype t;
  int64_t v[4] = { 0, 0, 0, 0 };
  const int at[4] = { 0, 3, 4, 5 };
  for (int i = 0; i < 4; i++) {
    if (argc != 6 || napi_typeof(env, argv[at[i]], &t) != napi_ok || t != napi_number || napi_get_value_int64(env, argv[at[i]], &v[i]) != napi_ok || v[i] < 0 ||
        (i < 2 && v[i] > INT32_MAX)) {
      napi_throw_type_error(env, NULL, "sendHeadAndFileCached(socketFd, head, prefix, fileFd, offset, length): descriptors, offset and length must be non-negative integers");
      return NULL;
    }
  }
  size_t head_len = 0;
  // The head as bytes (a Uint8Array, sent as it is: no copy) or as a latin1 string (copied out).
  void *head_bytes = NULL;
  bool head_typed = false;
  if (napi_typeof(env, argv[1], &t) != napi_ok) return NULL;
  if (t == napi_object) {
    napi_typedarray_type kind;
    napi_is_typedarray(env, argv[1], &head_typed);
    if (!head_typed || napi_get_typedarray_info(env, argv[1], &kind, &head_len, &head_bytes, NULL, NULL) != napi_ok || kind != napi_uint8_array) {
      napi_throw_type_error(env, NULL, "sendHeadAndFileCached: head must be a string or a Uint8Array");
      return NULL;
    }
  } else if (t != napi_string || napi_get_value_string_latin1(env, argv[1], NULL, 0, &head_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "sendHeadAndFileCached: head must be a string or a Uint8Array");
    return NULL;
  }
  void *prefix = NULL;
  size_t prefix_len = 0;
  bool is_typed = false;
  if (napi_typeof(env, argv[2], &t) != napi_ok) return NULL;
  if (t != napi_null && t != napi_undefined) {
    napi_typedarray_type kind;
    napi_is_typedarray(env, argv[2], &is_typed);
    if (!is_typed || napi_get_typedarray_info(env, argv[2], &kind, &prefix_len, &prefix, NULL, NULL) != napi_ok || kind != napi_uint8_array) {
      napi_throw_type_error(env, NULL, "sendHeadAndFileCached: prefix must be a Uint8Array or null");
      return NULL;
    }
  }
  int64_t sent = -1;
#ifdef __linux__
  int sock = (int)v[0], file = (int)v[1];
  if (nonblocking(sock) && range_cached(file, v[2], v[3])) {
    __atomic_fetch_add(&stat_cached, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&stat_with_head, 1, __ATOMIC_RELAXED);
    char stack[HEAD_STACK];
    char *head = head_typed ? head_bytes : head_len < sizeof stack ? stack : malloc(head_len + 1);
    if (head == NULL && !head_typed) {
      napi_throw(env, make_error(env, ENOMEM, 0));
      return NULL;
    }
    size_t copied = head_len;
    if (!head_typed) napi_get_value_string_latin1(env, argv[1], head, head_len + 1, &copied);
    struct iovec iov[2] = { { head, copied }, { prefix, prefix_len } };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = prefix_len > 0 ? 2 : 1;
    ssize_t n;
    do {
      n = sendmsg(sock, &msg, MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    int e = errno;
    if (!head_typed && head != stack) free(head);
    if (n < 0 && e != EAGAIN && e != EWOULDBLOCK) {
      napi_throw(env, make_error(env, e, 0));
      return NULL;
    }
    sent = n < 0 ? 0 : (int64_t)n;
    if ((size_t)sent == copied + prefix_len) {
      int error = 0;
      int64_t before = 0;
      int64_t file_sent = send_cached(sock, file, v[2], v[3], &error, &before);
      if (file_sent < 0) {
        napi_throw(env, make_error(env, error, sent + before));
        return NULL;
      }
      sent += file_sent;
    }
  }
#endif
  napi_create_int64(env, sent, &result);
  return result;
}

static napi_value stats_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, pool, cached, with_head, bytes, has_cachestat;
  napi_create_object(env, &out);
  napi_create_int64(env, __atomic_load_n(&stat_pool, __ATOMIC_RELAXED), &pool);
  napi_create_int64(env, __atomic_load_n(&stat_cached, __ATOMIC_RELAXED), &cached);
  napi_create_int64(env, __atomic_load_n(&stat_with_head, __ATOMIC_RELAXED), &with_head);
  napi_create_int64(env, __atomic_load_n(&stat_bytes, __ATOMIC_RELAXED), &bytes);
#ifdef __linux__
  napi_get_boolean(env, cachestat_works != 0, &has_cachestat);
#else
  napi_get_boolean(env, false, &has_cachestat);
#endif
  napi_set_named_property(env, out, "pool", pool);
  napi_set_named_property(env, out, "cached", cached);
  napi_set_named_property(env, out, "withHead", with_head);
  napi_set_named_property(env, out, "bytes", bytes);
  napi_set_named_property(env, out, "cachestat", has_cachestat);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn, cached, head, stats;
  napi_create_function(env, "sendFile", NAPI_AUTO_LENGTH, send_file_js, NULL, &fn);
  napi_set_named_property(env, exports, "sendFile", fn);
  napi_create_function(env, "sendFileCached", NAPI_AUTO_LENGTH, send_file_cached_js, NULL, &cached);
  napi_set_named_property(env, exports, "sendFileCached", cached);
  napi_create_function(env, "sendHeadAndFileCached", NAPI_AUTO_LENGTH, send_head_and_file_cached_js, NULL, &head);
  napi_set_named_property(env, exports, "sendHeadAndFileCached", head);
  napi_create_function(env, "stats", NAPI_AUTO_LENGTH, stats_js, NULL, &stats);
  napi_set_named_property(env, exports, "stats", stats);
  return exports;
}
