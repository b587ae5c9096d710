/* Native edge: VRRP over IPv6 — an AF_INET6 raw socket for IP protocol 112 whose receive side reports what a plain raw
 * IPv6 socket hides (hop limit, destination, interface: IPV6_RECVHOPLIMIT / IPV6_RECVPKTINFO through recvmsg), whose send
 * side chooses source, interface and hop limit per packet (IPV6_PKTINFO / IPV6_HOPLIMIT), and a libuv poll watcher so
 * that nothing ever blocks the event loop. The kernel never touches the VRRP checksum (IPV6_CHECKSUM off): lvsd computes
 * and verifies it. Every failed system call becomes a JS Error with code (errno name), errno and syscall. */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "raw6.h"

#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif
#define IPPROTO_VRRP 112
/* the largest VRRP message: 8-byte header + 255 IPv6 addresses */
#define MAX_MESSAGE (8 + 255 * 16)

static napi_value throw_sys(napi_env env, const char *syscall, int err) {
  char msg[192];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value code, text, error, no, sc;
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, err, &no);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "errno", no);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

static napi_value usage(napi_env env, const char *text) {
  napi_throw_type_error(env, "ERR_INVALID_ARG", text);
  return NULL;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) { return napi_get_value_uint32(env, v, out) == napi_ok; }

/* get_addr16 reads a 16-byte Buffer (an IPv6 address) */
static int get_addr16(napi_env env, napi_value v, struct in6_addr *out) {
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok || len != 16) return 0;
  memcpy(out, data, 16);
  return 1;
}

static napi_value int_value(napi_env env, int32_t n) {
  napi_value r;
  napi_create_int32(env, n, &r);
  return r;
}

static int setopt_int(int fd, int level, int name, int value) { return setsockopt(fd, level, name, &value, sizeof value); }

/* open6(ifindex) → fd: non-blocking raw socket for protocol 112; ifindex > 0 binds it to that interface and makes it
 * the multicast interface. Hop limits default to 255, multicast loop off, ancillary hop limit and pktinfo on. */
static napi_value Open6(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t ifindex;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_u32(env, argv[0], &ifindex)) return usage(env, "open6(ifindex)");
  int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP);
  if (fd < 0) return throw_sys(env, "socket(AF_INET6, SOCK_RAW, 112)", errno);
  const char *what = NULL;
  if (setopt_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)) what = "setsockopt(IPV6_RECVHOPLIMIT)";
  else if (setopt_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)) what = "setsockopt(IPV6_RECVPKTINFO)";
  else if (setopt_int(fd, IPPROTO_IPV6, IPV6_CHECKSUM, -1)) what = "setsockopt(IPV6_CHECKSUM)";
  else if (setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255)) what = "setsockopt(IPV6_MULTICAST_HOPS)";
  else if (setopt_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255)) what = "setsockopt(IPV6_UNICAST_HOPS)";
  else if (setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0)) what = "setsockopt(IPV6_MULTICAST_LOOP)";
  else if (setopt_int(fd, SOL_SOCKET, SO_RCVBUF, 1 << 18)) what = "setsockopt(SO_RCVBUF)";
  else if (ifindex > 0 && setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)ifindex)) what = "setsockopt(IPV6_MULTICAST_IF)";
  else if (ifindex > 0 && setopt_int(fd, SOL_SOCKET, SO_BINDTOIFINDEX, (int)ifindex)) what = "setsockopt(SO_BINDTOIFINDEX)";
  if (what) {
    int err = errno;
    close(fd);
    return throw_sys(env, what, err);
  }
  return int_value(env, fd);
}

/* join6(fd, group: Buffer(16), ifindex): IPV6_JOIN_GROUP (EADDRINUSE when already a member) */
static napi_value Join6(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t fd, ifindex;
  struct ipv6_mreq mreq;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || !get_u32(env, argv[0], &fd) || !get_addr16(env, argv[1], &mreq.ipv6mr_multiaddr) || !get_u32(env, argv[2], &ifindex)) {
    return usage(env, "join6(fd, group: Buffer(16), ifindex)");
  }
  mreq.ipv6mr_interface = ifindex;
  if (setsockopt((int)fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq)) return throw_sys(env, "setsockopt(IPV6_JOIN_GROUP)", errno);
  return NULL;
}

/* send6(fd, payload, destination: Buffer(16), ifindex, source: Buffer(16) | null, hopLimit) → bytes sent.
 * ifindex 0 lets the kernel route; a null source lets it choose. */
static napi_value Send6(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  uint32_t fd, ifindex, hops;
  void *data;
  size_t len;
  struct sockaddr_in6 to;
  struct in6_pktinfo pi;
  napi_valuetype srcType;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  memset(&to, 0, sizeof to);
  memset(&pi, 0, sizeof pi);
  if (argc < 6 || !get_u32(env, argv[0], &fd) || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
      !get_addr16(env, argv[2], &to.sin6_addr) || !get_u32(env, argv[3], &ifindex) || napi_typeof(env, argv[4], &srcType) != napi_ok ||
      (srcType != napi_null && !get_addr16(env, argv[4], &pi.ipi6_addr)) || !get_u32(env, argv[5], &hops) || hops > 255) {
    return usage(env, "send6(fd, payload, destination: Buffer(16), ifindex, source: Buffer(16) | null, hopLimit 0..255)");
  }
  to.sin6_family = AF_INET6;
  /* link-local destinations (fe80::/10, ff02::/16) need the interface as scope */
  if (IN6_IS_ADDR_LINKLOCAL(&to.sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&to.sin6_addr)) to.sin6_scope_id = ifindex;
  pi.ipi6_ifindex = ifindex;
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {data, len};
  struct msghdr msg = {&to, sizeof to, &iov, 1, control.buf, sizeof control.buf, 0};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof pi);
  memcpy(CMSG_DATA(c), &pi, sizeof pi);
  c = CMSG_NXTHDR(&msg, c);
  int hl = (int)hops;
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_HOPLIMIT;
  c->cmsg_len = CMSG_LEN(sizeof hl);
  memcpy(CMSG_DATA(c), &hl, sizeof hl);
  ssize_t n = sendmsg((int)fd, &msg, 0);
  if (n < 0) return throw_sys(env, "sendmsg(IPv6 VRRP)", errno);
  return int_value(env, (int32_t)n);
}

static napi_value copy_buffer(napi_env env, const void *data, size_t len) {
  napi_value r;
  napi_create_buffer_copy(env, len, data, NULL, &r);
  return r;
}

/* message_object describes one received message: { data, source, destination | null, hopLimit (-1 unknown), ifindex, truncated } */
static napi_value message_object(napi_env env, const unsigned char *data, size_t len, const struct msghdr *msg) {
  int hops = -1, ifindex = 0, haveDst = 0;
  struct in6_addr dst;
  memset(&dst, 0, sizeof dst);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) memcpy(&hops, CMSG_DATA(c), sizeof hops);
    if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      dst = pi.ipi6_addr;
      ifindex = (int)pi.ipi6_ifindex;
      haveDst = 1;
    }
  }
  const struct sockaddr_in6 *from = (const struct sockaddr_in6 *)msg->msg_name;
  napi_value r, nul, flag;
  napi_create_object(env, &r);
  napi_get_null(env, &nul);
  napi_set_named_property(env, r, "data", copy_buffer(env, data, len));
  napi_set_named_property(env, r, "source", copy_buffer(env, &from->sin6_addr, 16));
  napi_set_named_property(env, r, "destination", haveDst ? copy_buffer(env, &dst, 16) : nul);
  napi_set_named_property(env, r, "hopLimit", int_value(env, hops));
  napi_set_named_property(env, r, "ifindex", int_value(env, ifindex));
  napi_get_boolean(env, (msg->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0, &flag);
  napi_set_named_property(env, r, "truncated", flag);
  return r;
}

/* BATCH is how many messages one recv6 call takes with one recvmmsg (system calls are what costs, in the lab guest most) */
#define BATCH 32
typedef struct {
  struct mmsghdr hdr[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in6 from[BATCH];
  union {
    char buf[256];
    struct cmsghdr align;
  } control[BATCH];
  unsigned char data[BATCH][MAX_MESSAGE + 64];
} batch_t;

/* recv6(fd) → the messages queued (up to BATCH, as message_object describes them); [] when none */
static napi_value Recv6(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_u32(env, argv[0], &fd)) return usage(env, "recv6(fd)");
  /* one buffer for the process: JS calls recv6 on its one thread, and the data is copied out before returning */
  static batch_t *b = NULL;
  if (!b && !(b = calloc(1, sizeof *b))) return throw_sys(env, "recv6", ENOMEM);
  for (int i = 0; i < BATCH; i++) {
    b->iov[i] = (struct iovec){b->data[i], sizeof b->data[i]};
    b->hdr[i].msg_hdr = (struct msghdr){&b->from[i], sizeof b->from[i], &b->iov[i], 1, b->control[i].buf, sizeof b->control[i].buf, 0};
    b->hdr[i].msg_len = 0;
  }
  int n = recvmmsg((int)fd, b->hdr, BATCH, MSG_DONTWAIT, NULL);
  napi_value out;
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return throw_sys(env, "recvmmsg(IPv6 VRRP)", errno);
    n = 0;
  }
  napi_create_array_with_length(env, (size_t)n, &out);
  for (int i = 0; i < n; i++) napi_set_element(env, out, (uint32_t)i, message_object(env, b->data[i], b->hdr[i].msg_len, &b->hdr[i].msg_hdr));
  return out;
}

/* A watcher is a uv_poll on a socket calling a JS function whenever the socket is readable (or the poll fails). Its
 * memory belongs to libuv until uv_close's callback; the JS handle points at a box that forgets it on unwatch. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
} watcher_t;

typedef struct {
  watcher_t *w;
} box_t;

static void on_closed(uv_handle_t *h) {
  watcher_t *w = (watcher_t *)h->data;
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->context);
  free(w);
}

static void on_readable(uv_poll_t *p, int status, int events) {
  (void)events;
  watcher_t *w = (watcher_t *)p->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, recv, arg, result;
  napi_get_reference_value(env, w->callback, &fn);
  napi_get_global(env, &recv);
  if (status < 0) napi_create_string_utf8(env, uv_err_name(status), NAPI_AUTO_LENGTH, &arg);
  else napi_get_null(env, &arg);
  if (fn && napi_make_callback(env, w->context, recv, fn, 1, &arg, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void box_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* watch6(fd, onReadable(errorName | null)) → handle: calls onReadable on the loop thread whenever fd is readable */
static napi_value Watch6(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t fd;
  napi_valuetype t;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || !get_u32(env, argv[0], &fd) || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    return usage(env, "watch6(fd, onReadable)");
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return usage(env, "watch6: no event loop");
  watcher_t *w = calloc(1, sizeof *w);
  box_t *box = calloc(1, sizeof *box);
  if (!w || !box) {
    free(w);
    free(box);
    return throw_sys(env, "watch6", ENOMEM);
  }
  int rc = uv_poll_init(loop, &w->poll, (int)fd);
  if (rc < 0) {
    free(w);
    free(box);
    return throw_sys(env, "uv_poll_init", -rc);
  }
  w->poll.data = w;
  w->env = env;
  napi_value name;
  napi_create_string_utf8(env, "lvsd.raw6", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_async_init(env, NULL, name, &w->context);
  rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    uv_close((uv_handle_t *)&w->poll, on_closed);
    free(box);
    return throw_sys(env, "uv_poll_start", -rc);
  }
  box->w = w;
  napi_value handle;
  napi_create_external(env, box, box_finalize, NULL, &handle);
  return handle;
}

/* unwatch6(handle): stops the watcher (idempotent); call it before closing the socket */
static napi_value Unwatch6(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  box_t *box = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&box) != napi_ok || !box) return usage(env, "unwatch6(handle)");
  if (box->w) {
    uv_poll_stop(&box->w->poll);
    uv_close((uv_handle_t *)&box->w->poll, on_closed);
    box->w = NULL;
  }
  return NULL;
}

/* close6(fd) */
static napi_value Close6(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_u32(env, argv[0], &fd)) return usage(env, "close6(fd)");
  if (close((int)fd)) return throw_sys(env, "close", errno);
  return NULL;
}

void raw6_init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
    {"open6", NULL, Open6, NULL, NULL, NULL, napi_default, NULL},
    {"join6", NULL, Join6, NULL, NULL, NULL, napi_default, NULL},
    {"send6", NULL, Send6, NULL, NULL, NULL, napi_default, NULL},
    {"recv6", NULL, Recv6, NULL, NULL, NULL, napi_default, NULL},
    {"watch6", NULL, Watch6, NULL, NULL, NULL, napi_default, NULL},
    {"unwatch6", NULL, Unwatch6, NULL, NULL, NULL, napi_default, NULL},
    {"close6", NULL, Close6, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
}
