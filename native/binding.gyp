{
  "targets": [
    {
      "target_name": "lvsd_packet",
      "sources": ["packet.c"],
      "cflags": ["-Wall", "-O2"]
    }
  ]
}
