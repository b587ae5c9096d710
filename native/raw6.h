/* Native edge: the IPv6 VRRP socket functions of raw6.c, registered on the addon's exports by packet.c's Init. */
#ifndef LVSD_RAW6_H
#define LVSD_RAW6_H
#include <node_api.h>
void raw6_init(napi_env env, napi_value exports);
#endif
