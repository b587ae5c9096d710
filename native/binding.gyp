{
  "targets": [
    {
      "target_name": "lvsd_packet",
      "sources": ["packet.c", "raw6.c"],
      "cflags": ["-Wall", "-O2"]
    }
  ]
}
