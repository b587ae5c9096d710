{
  "targets": [
    {
      "target_name": "lvsd_packet",
      "sources": ["packet.c", "raw6.c"],
      "cflags": ["-Wall", "-O2"]
    },
    {
      "target_name": "lvsd-spawn",
      "type": "executable",
      "sources": ["spawn-helper.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
