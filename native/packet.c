/* Native edge: link-layer (AF_PACKET) send for gratuitous ARP and unsolicited neighbour advertisements — the one thing
 * Node and raw-socket cannot do. Send-only (the socket is bound to protocol 0, so it never queues received frames).
 * Init also registers raw6.c's IPv6 VRRP socket (open6, send6, recv6, watch6, …) on the same addon. */
#include <node_api.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include "raw6.h"

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  char code[16];
  snprintf(code, sizeof code, "%d", err);
  napi_throw_error(env, code, msg);
  return NULL;
}

static int arg_u32(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok;
}

/* open(): a SOCK_DGRAM AF_PACKET socket (the kernel writes the Ethernet header); returns the descriptor */
static napi_value Open(napi_env env, napi_callback_info info) {
  int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket(AF_PACKET)", errno);
  napi_value r;
  napi_create_int32(env, fd, &r);
  return r;
}

/* send(fd, ifindex, ethertype, dstMac: Buffer(6), payload: Buffer) → bytes sent */
static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t fd, ifindex, ethertype;
  void *mac, *data;
  size_t maclen, len;
  if (argc < 5 || !arg_u32(env, argv[0], &fd) || !arg_u32(env, argv[1], &ifindex) || !arg_u32(env, argv[2], &ethertype) ||
      napi_get_buffer_info(env, argv[3], &mac, &maclen) != napi_ok || maclen != 6 ||
      napi_get_buffer_info(env, argv[4], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "send(fd, ifindex, ethertype, mac[6], payload)");
    return NULL;
  }
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons((uint16_t)ethertype);
  to.sll_ifindex = (int)ifindex;
  to.sll_halen = 6;
  memcpy(to.sll_addr, mac, 6);
  ssize_t n = sendto((int)fd, data, len, 0, (struct sockaddr *)&to, sizeof to);
  if (n < 0) return throw_errno(env, "sendto(AF_PACKET)", errno);
  napi_value r;
  napi_create_int32(env, (int32_t)n, &r);
  return r;
}

/* close(fd) */
static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t fd;
  if (argc >= 1 && arg_u32(env, argv[0], &fd)) close((int)fd);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
    {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
    {"send", NULL, Send, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  raw6_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
